import { ValueTooLargeError, WrongTypeError } from '../errors/cache.error';
import { PersistenceLevel } from '../options/persistence-level';
import type { CacheTier } from './cache-tier.interface';
import { counterError, NOT_A_NUMBER, NOT_FINITE } from './entry-rules';
import { entryOf, type TierContract } from './tier-fixture.contract';

/**
 * The read-modify-writes of a tier (set-if-absent, update, increment, expire): atomic, keeping
 * expiry and metadata, and refusing a bad value for the same reasons on every tier.
 */
export function describeTierAtomics(setup: TierContract): void {
  let tier: CacheTier;
  beforeEach(() => {
    tier = setup.tier;
  });

  it('sets only when absent', async () => {
    expect(await tier.setIfAbsent('k', entryOf(1))).toBe(true);
    expect(await tier.setIfAbsent('k', entryOf(2))).toBe(false);
    expect((await tier.get('k'))?.value).toBe(1);
  });

  it('sets when the previous entry expired', async () => {
    await tier.set('k', entryOf(1, { expiresAt: Date.now() + 100 }));
    await setup.advance(200);
    expect(await tier.setIfAbsent('k', entryOf(2))).toBe(true);
    expect((await tier.get('k'))?.value).toBe(2);
  });

  it('merges a patch and keeps expiry and metadata', async () => {
    const expiresAt = Date.now() + 60_000;
    await tier.set('u', entryOf({ a: 1, b: 2 }, { expiresAt, tags: ['t'] }));
    const updated = await tier.update('u', { b: 3, c: 4 });
    expect(updated?.value).toEqual({ a: 1, b: 3, c: 4 });
    const stored = await tier.get('u');
    expect(stored?.value).toEqual({ a: 1, b: 3, c: 4 });
    expect(stored?.expiresAt).toBe(expiresAt);
    expect(stored?.tags).toEqual(['t']);
    expect(await tier.update('missing', { a: 1 })).toBeUndefined();
  });

  it('refuses to update a value that is not an object', async () => {
    await tier.set('n', entryOf(5));
    await expect(Promise.resolve().then(() => tier.update('n', { a: 1 }))).rejects.toBeInstanceOf(
      WrongTypeError,
    );
    expect((await tier.get('n'))?.value).toBe(5);
  });

  it('holds a merged value to maxBytes and keeps the entry it refused', async () => {
    await tier.set('u', entryOf({ a: 1 }));
    await expect(
      Promise.resolve().then(() => tier.update('u', { b: 'x'.repeat(100) }, 50)),
    ).rejects.toBeInstanceOf(ValueTooLargeError);
    expect((await tier.get('u'))?.value).toEqual({ a: 1 });
    expect((await tier.update('u', { b: 2 }, 50))?.value).toEqual({ a: 1, b: 2 });
  });

  it('refuses an increment for the same reasons on every tier', async () => {
    const template = { expiresAt: Infinity, persistence: PersistenceLevel.MEMORY_ONLY };
    await tier.set('s', entryOf('text'));
    await expect(Promise.resolve().then(() => tier.increment('s', 1, template))).rejects.toThrow(
      counterError('s', NOT_A_NUMBER).message,
    );
    await tier.set('big', entryOf(Number.MAX_VALUE));
    await expect(
      Promise.resolve().then(() => tier.increment('big', Number.MAX_VALUE, template)),
    ).rejects.toThrow(counterError('big', NOT_FINITE).message);
    expect((await tier.get('big'))?.value).toBe(Number.MAX_VALUE);
  });

  it('increments atomically, creating with the template and keeping expiry', async () => {
    const template = {
      expiresAt: Date.now() + 10_000,
      persistence: PersistenceLevel.MEMORY_ONLY,
    };
    expect(await tier.increment('c', 5, template)).toBe(5);
    expect(await tier.increment('c', -2, { ...template, expiresAt: Infinity })).toBe(3);
    expect((await tier.get('c'))?.expiresAt).toBe(template.expiresAt);
    await tier.set('s', entryOf('text'));
    await expect(
      Promise.resolve().then(() => tier.increment('s', 1, template)),
    ).rejects.toBeInstanceOf(WrongTypeError);
  });

  it('changes expiry of live entries only', async () => {
    await tier.set('k', entryOf(1));
    const expiresAt = Date.now() + 1000;
    expect(await tier.expire('k', expiresAt)).toBe(true);
    expect((await tier.get('k'))?.expiresAt).toBe(expiresAt);
    expect(await tier.expire('missing', expiresAt)).toBe(false);
  });
}
