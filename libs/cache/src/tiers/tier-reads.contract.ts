import type { CacheTier } from './cache-tier.interface';
import { entryOf, type TierContract } from './tier-fixture.contract';

/**
 * What a tier gives back: entries with their metadata, `null`, many keys in order, expiry to the
 * millisecond, and an entry past its TTL kept until the end of its grace period.
 */
export function describeTierReads(setup: TierContract): void {
  let tier: CacheTier;
  beforeEach(() => {
    tier = setup.tier;
  });

  it('stores and returns entries with their metadata', async () => {
    const when = new Date('2024-05-06T07:08:09.010Z');
    await tier.set(
      'a',
      entryOf({ n: 1, when, list: [1, 'x', null] }, { tags: ['t'], indexes: { email: 'a@x' } }),
    );
    const entry = await tier.get('a');
    expect(entry?.value).toEqual({ n: 1, when, list: [1, 'x', null] });
    expect((entry?.value as { when: Date }).when).toBeInstanceOf(Date);
    expect(Object.isFrozen(entry?.value)).toBe(true);
    expect(() => (entry?.value as { when: Date }).when.setTime(0)).toThrow(TypeError);
    expect(entry?.tags).toEqual(['t']);
    expect(entry?.indexes).toEqual({ email: 'a@x' });
    expect(await tier.get('missing')).toBeUndefined();
  });

  it('keeps null as a value', async () => {
    await tier.set('n', entryOf(null));
    expect((await tier.get('n'))?.value).toBeNull();
  });

  it('reads many keys in order', async () => {
    await tier.set('a', entryOf(1));
    await tier.set('c', entryOf(3));
    const entries = await tier.getMany(['a', 'b', 'c']);
    expect(entries.map((entry) => entry?.value)).toEqual([1, undefined, 3]);
  });

  it('treats an expired entry as missing', async () => {
    await tier.set('short', entryOf('v', { expiresAt: Date.now() + 100 }));
    await tier.set('long', entryOf('v', { expiresAt: Date.now() + 5000 }));
    await setup.advance(150);
    expect(await tier.get('short')).toBeUndefined();
    expect((await tier.get('long'))?.value).toBe('v');
  });

  it('keeps an entry past its TTL until the end of its grace period', async () => {
    const expiresAt = Date.now() + 100;
    await tier.set('g', entryOf('stale', { expiresAt, graceUntil: Date.now() + 5000 }));
    await setup.advance(150);
    const entry = await tier.get('g');
    expect(entry?.value).toBe('stale');
    expect(entry?.expiresAt).toBe(expiresAt);
    expect(entry?.graceUntil).toBeGreaterThan(Date.now());
  });

  it('reads back expiries to the millisecond, near and far', async () => {
    const near = Date.now() + 3_600_007;
    const far = Date.UTC(2200, 0, 1, 0, 0, 0, 123);
    await tier.set('near', entryOf(1, { expiresAt: near }));
    await tier.set('far', entryOf(2, { expiresAt: far, graceUntil: far + 1 }));
    expect((await tier.get('near'))?.expiresAt).toBe(near);
    expect(await tier.get('far')).toMatchObject({ expiresAt: far, graceUntil: far + 1 });
  });

  it('keeps the length of a grace period when the expiry changes', async () => {
    // One reading of the clock: two could differ by a millisecond, and so the grace length.
    const now = Date.now();
    await tier.set('g', entryOf(1, { expiresAt: now + 1000, graceUntil: now + 6000 }));
    const expiresAt = Date.now() + 30_000;
    expect(await tier.expire('g', expiresAt)).toBe(true);
    const entry = await tier.get('g');
    expect(entry?.expiresAt).toBe(expiresAt);
    expect(entry?.graceUntil).toBe(expiresAt + 5000);
    expect(await tier.expire('g', Infinity)).toBe(true);
    expect(await tier.get('g')).toMatchObject({ expiresAt: Infinity });
    expect((await tier.get('g'))?.graceUntil).toBeUndefined();
  });
}
