import { PersistenceLevel } from '../options/persistence-level';
import type { CacheTier } from './cache-tier.interface';
import { entryOf, type TierContract } from './tier-fixture.contract';

/**
 * An entry past its TTL but within grace: `get` still returns it (for getOrSet's fallback), every
 * other operation counts it as absent, and removals remove it without counting it as held.
 */
export function describeTierGrace(setup: TierContract): void {
  let tier: CacheTier;
  beforeEach(() => {
    tier = setup.tier;
  });

  it('counts an entry past its TTL (within grace) as absent for every operation but get', async () => {
    const stale = { expiresAt: Date.now() + 100, graceUntil: Date.now() + 60_000 };
    const template = {
      expiresAt: Date.now() + 60_000,
      persistence: PersistenceLevel.MEMORY_ONLY,
    };
    await tier.set('counter', entryOf(10, stale));
    await tier.set('nx', entryOf('old', stale));
    await tier.set('object', entryOf({ a: 1 }, stale));
    await tier.set('ttl', entryOf('old', stale));
    await setup.advance(150);
    // get still returns it: getOrSet serves it when its loader fails.
    expect((await tier.get('ttl'))?.value).toBe('old');
    expect(await tier.increment('counter', 1, template)).toBe(1);
    expect((await tier.get('counter'))?.expiresAt).toBe(template.expiresAt);
    expect(await tier.setIfAbsent('nx', entryOf('new'))).toBe(true);
    expect((await tier.get('nx'))?.value).toBe('new');
    expect(await tier.update('object', { b: 2 })).toBeUndefined();
    expect(await tier.expire('ttl', Date.now() + 60_000)).toBe(false);
    expect((await tier.get('ttl'))?.expiresAt).toBe(stale.expiresAt);
  });

  it('lists no entry past its TTL (within grace) by index', async () => {
    const stale = { expiresAt: Date.now() + 100, graceUntil: Date.now() + 60_000 };
    await tier.set('expired', entryOf(1, { ...stale, indexes: { owner: 'ada' } }));
    await tier.set(
      'live',
      entryOf(2, { expiresAt: Date.now() + 60_000, indexes: { owner: 'ada' } }),
    );
    await setup.advance(150);
    expect(await tier.keysByIndex('owner', 'ada')).toEqual(['live']);
    // Still held for getOrSet's grace fallback.
    expect((await tier.get('expired'))?.value).toBe(1);
  });

  it('removes an entry past its TTL (within grace) without counting it as held', async () => {
    const stale = { expiresAt: Date.now() + 100, graceUntil: Date.now() + 60_000 };
    for (const key of ['key:stale', 'tag:stale', 'glob:stale']) {
      await tier.set(key, entryOf('old', { ...stale, tags: [key.split(':')[0]] }));
    }
    await tier.set('key:live', entryOf('new'));
    await tier.set('tag:live', entryOf('new', { tags: ['tag'] }));
    await tier.set('glob:live', entryOf('new'));
    await setup.advance(150);
    const removed = [
      await tier.delete(['key:stale', 'key:live']),
      await tier.deleteByTags(['tag']),
      await tier.deleteMatching('glob:*'),
    ];
    expect(removed).toEqual([
      { held: ['key:live'], stale: ['key:stale'] },
      { held: ['tag:live'], stale: ['tag:stale'] },
      { held: ['glob:live'], stale: ['glob:stale'] },
    ]);
    // Gone for getOrSet's grace fallback too.
    expect(await tier.getMany(['key:stale', 'tag:stale', 'glob:stale'])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('clears an entry past its TTL (within grace) without counting it', async () => {
    const now = Date.now();
    const stale = { expiresAt: now - 1, graceUntil: now + 60_000 };
    await tier.set('stale', entryOf('old', { ...stale, tags: ['t'], indexes: { i: 'v' } }));
    await tier.set('live', entryOf('new', { tags: ['t'], indexes: { i: 'v' } }));
    await tier.set('forever', entryOf('kept'));
    expect(await tier.clear()).toBe(2);
    // Gone for getOrSet's grace fallback too.
    expect(await tier.getMany(['stale', 'live', 'forever'])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(await tier.clear()).toBe(0);
  });
}
