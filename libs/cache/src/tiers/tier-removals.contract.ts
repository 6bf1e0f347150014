import { PersistenceLevel } from '../options/persistence-level';
import type { CacheTier } from './cache-tier.interface';
import { entryOf, held, NONE, type TierContract } from './tier-fixture.contract';

/**
 * Removals and lookups of a tier, within its own namespace only: deletes by key, tag and glob
 * reporting which keys held entries, lookups by index, clear, and the count of entries.
 */
export function describeTierRemovals(setup: TierContract): void {
  let tier: CacheTier;
  beforeEach(() => {
    tier = setup.tier;
  });

  it('deletes keys and reports which held entries', async () => {
    await tier.set('a', entryOf(1));
    await tier.set('b', entryOf(2));
    expect(held(await tier.delete(['a', 'x']))).toEqual(['a']);
    expect(await tier.get('a')).toBeUndefined();
    expect((await tier.get('b'))?.value).toBe(2);
  });

  it('deletes by tag, following overwrites', async () => {
    await tier.set('a', entryOf(1, { tags: ['red'] }));
    await tier.set('b', entryOf(2, { tags: ['red', 'blue'] }));
    await tier.set('c', entryOf(3, { tags: ['blue'] }));
    await tier.set('a', entryOf(1, { tags: ['green'] }));
    expect(held(await tier.deleteByTags(['red']))).toEqual(['b']);
    expect((await tier.get('a'))?.value).toBe(1);
    expect(held(await tier.deleteByTags(['blue', 'green']))).toEqual(['a', 'c']);
  });

  it('does not let an old tag or index reach a newer entry under the same key', async () => {
    await tier.set(
      'a',
      entryOf(1, { tags: ['old'], indexes: { i: 'x' }, expiresAt: Date.now() + 100 }),
    );
    await setup.advance(150);
    await tier.set('a', entryOf(2));
    expect(await tier.deleteByTags(['old'])).toEqual(NONE);
    expect(await tier.keysByIndex('i', 'x')).toEqual([]);
    expect((await tier.get('a'))?.value).toBe(2);
    await tier.set('b', entryOf(3, { tags: ['old'], indexes: { i: 'y' } }));
    await tier.set('b', entryOf(4));
    expect(await tier.deleteByTags(['old'])).toEqual(NONE);
    expect(await tier.keysByIndex('i', 'y')).toEqual([]);
    expect((await tier.get('b'))?.value).toBe(4);
  });

  it('deletes by glob within the namespace only', async () => {
    const other = await setup.open('other');
    await other.set('user:1', entryOf('theirs'));
    await tier.set('user:1', entryOf(1));
    await tier.set('user:2', entryOf(2));
    await tier.set('user:10', entryOf(10));
    await tier.set('order:1', entryOf(3));
    await tier.set('[x]', entryOf(4));
    expect(held(await tier.deleteMatching('user:?'))).toEqual(['user:1', 'user:2']);
    expect(held(await tier.deleteMatching('[x]'))).toEqual(['[x]']);
    expect(held(await tier.deleteMatching('*'))).toEqual(['order:1', 'user:10']);
    expect((await other.get('user:1'))?.value).toBe('theirs');
  });

  it('finds keys by index, following overwrite, delete and expiry', async () => {
    await tier.set('u1', entryOf('a', { indexes: { email: 'x@y' } }));
    await tier.set('u2', entryOf('b', { indexes: { email: 'x@y' }, expiresAt: Date.now() + 100 }));
    await tier.set('u3', entryOf('c', { indexes: { email: 'z@y' } }));
    expect((await tier.keysByIndex('email', 'x@y')).sort()).toEqual(['u1', 'u2']);
    await tier.set('u1', entryOf('a', { indexes: { email: 'new@y' } }));
    await tier.delete(['u3']);
    await setup.advance(200);
    expect(await tier.keysByIndex('email', 'x@y')).toEqual([]);
    expect(await tier.keysByIndex('email', 'z@y')).toEqual([]);
    expect(await tier.keysByIndex('email', 'new@y')).toEqual(['u1']);
  });

  it('clears its own namespace only', async () => {
    const other = await setup.open('other');
    await other.set('k', entryOf('theirs'));
    await tier.set('a', entryOf(1));
    await tier.set('b', entryOf(2));
    expect(await tier.clear()).toBe(2);
    expect(await tier.get('a')).toBeUndefined();
    expect((await other.get('k'))?.value).toBe('theirs');
  });

  it('counts its entries', async () => {
    await tier.set('a', entryOf('x'));
    await tier.set('b', entryOf('y', { persistence: PersistenceLevel.ON_CHANGE }));
    expect((await tier.usage()).entries).toBe(2);
  });
}
