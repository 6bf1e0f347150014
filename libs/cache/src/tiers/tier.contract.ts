import { ValueTooLargeError, WrongTypeError } from '../errors/cache.error';
import { PersistenceLevel } from '../options/persistence-level';
import { snapshotValue } from '../values/snapshot-value';
import type { CacheEntry } from './cache-entry';
import type { CacheTier } from './cache-tier.interface';
import type { RemovedKeys } from './removed-keys';
import { counterError, NOT_A_NUMBER, NOT_FINITE } from './entry-rules';

/** Builds an entry the way NamespaceCache does. */
export function entryOf(
  value: unknown,
  extra: Partial<Omit<CacheEntry, 'value' | 'size'>> = {},
): CacheEntry {
  const snapshot = snapshotValue(value);
  return {
    value: snapshot.value,
    size: snapshot.size,
    expiresAt: Infinity,
    persistence: PersistenceLevel.MEMORY_ONLY,
    ...extra,
  };
}

/** The keys a removal counts as held, in order. */
const held = (removed: RemovedKeys): string[] => [...removed.held].sort();

/** What a removal that found nothing returns. */
const NONE: RemovedKeys = { held: [], stale: [] };

/**
 * The behaviour every tier must have. Each tier's spec calls this with a factory that returns
 * a fresh, empty tier scoped to one namespace, and a way to move the tier's clock past expiry.
 */
export function describeTierContract(
  name: string,
  setup: {
    create: (namespace: string) => Promise<CacheTier> | CacheTier;
    /** Makes `ms` milliseconds pass for the tier. */
    advance: (ms: number) => Promise<void> | void;
  },
): void {
  describe(`${name} tier contract`, () => {
    let tier: CacheTier;
    const opened: CacheTier[] = [];
    const open = async (namespace = 'ns'): Promise<CacheTier> => {
      const created = await setup.create(namespace);
      opened.push(created);
      return created;
    };

    beforeEach(async () => {
      tier = await open();
    });

    afterEach(async () => {
      for (const each of opened.splice(0)) {
        await each.clear();
        await each.close();
      }
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
      const other = await open('other');
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
      await tier.set(
        'u2',
        entryOf('b', { indexes: { email: 'x@y' }, expiresAt: Date.now() + 100 }),
      );
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
      const other = await open('other');
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
  });
}
