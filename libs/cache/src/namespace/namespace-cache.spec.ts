import {
  CacheError,
  InvalidKeyError,
  InvalidOptionError,
  InvalidValueError,
  ValueTooLargeError,
  WrongTypeError,
} from '../errors';
import { NamespaceCache } from './namespace-cache';
import { PersistenceLevel } from '../options/persistence-level';
import { MemoryTier } from '../tiers/memory.tier';
import { createNamespaceCache, deferred, namespaceSettings } from '../testing/namespace-fixtures';

const createCache = createNamespaceCache;

describe.each([
  ['memory', false],
  ['memory over a far tier', true],
])('NamespaceCache (%s)', (_label, twoTiers) => {
  let cache: NamespaceCache<any>;

  beforeEach(() => {
    jest.useFakeTimers();
    cache = createCache({}, twoTiers);
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe('get / set / delete / has', () => {
    it('round-trips values, null included; a miss is undefined', async () => {
      await cache.set('s', 'text');
      await cache.set('n', null);
      await cache.set('o', { a: [1, { b: true }], c: 'x' });
      expect(await cache.get('s')).toBe('text');
      expect(await cache.get('n')).toBeNull();
      expect(await cache.get('o')).toEqual({ a: [1, { b: true }], c: 'x' });
      expect(await cache.get('missing')).toBeUndefined();
    });

    it('gives Dates back as Dates, nested too', async () => {
      const when = new Date('2020-01-02T03:04:05.678Z');
      await cache.set('d', { when, list: [when] });
      const got = await cache.get('d');
      expect(got.when).toBeInstanceOf(Date);
      expect(got.when.getTime()).toBe(when.getTime());
      expect(got.list[0]).toBeInstanceOf(Date);
      await cache.set('plain', when);
      expect(await cache.get('plain')).toStrictEqual(when);
    });

    it('is not changed by mutating what was passed to set', async () => {
      const value = { list: [1, 2], nested: { x: 1 }, when: new Date(0) };
      await cache.set('k', value);
      value.list.push(3);
      value.nested.x = 2;
      value.when.setTime(5);
      expect(await cache.get('k')).toEqual({ list: [1, 2], nested: { x: 1 }, when: new Date(0) });
    });

    it('returns deeply frozen values, so readers cannot change what others read', async () => {
      await cache.set('k', { list: [1], nested: { x: 1 }, when: new Date(0) });
      const got = await cache.get('k');
      expect(() => got.list.push(2)).toThrow(TypeError);
      expect(() => {
        got.nested.x = 2;
      }).toThrow(TypeError);
      expect(() => got.when.setFullYear(2000)).toThrow(TypeError);
      expect(await cache.get('k')).toEqual({ list: [1], nested: { x: 1 }, when: new Date(0) });
      expect(structuredClone(got)).toEqual({ list: [1], nested: { x: 1 }, when: new Date(0) });
    });

    it('rejects undefined with a TypeError that is also a CacheError', async () => {
      await expect(cache.set('k', undefined)).rejects.toBeInstanceOf(TypeError);
      await expect(cache.set('k', undefined)).rejects.toBeInstanceOf(InvalidValueError);
      await expect(cache.set('k', undefined)).rejects.toBeInstanceOf(CacheError);
      await expect(cache.set('k', undefined)).rejects.toMatchObject({
        code: 'E_CACHE_INVALID_VALUE',
      });
      await expect(cache.set('k', undefined)).rejects.not.toBeInstanceOf(InvalidKeyError);
      expect(await cache.has('k')).toBe(false);
    });

    it('has() counts neither a hit nor a miss', async () => {
      await cache.set('k', 1);
      await cache.has('k');
      await cache.has('missing');
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 });
    });

    it('deletes and reports whether the key held a value', async () => {
      await cache.set('k', 1);
      expect(await cache.has('k')).toBe(true);
      expect(await cache.delete('k')).toBe(true);
      expect(await cache.delete('k')).toBe(false);
      expect(await cache.has('k')).toBe(false);
      expect(await cache.get('k')).toBeUndefined();
    });

    it('expires entries by the namespace ttl and by a per-call ttl', async () => {
      await cache.set('default', 1);
      await cache.set('short', 2, { ttl: '5s' });
      await cache.set('forever', 3, { ttl: Infinity });
      jest.advanceTimersByTime(5_000);
      expect(await cache.get('short')).toBeUndefined();
      expect(await cache.get('default')).toBe(1);
      jest.advanceTimersByTime(55_000);
      expect(await cache.get('default')).toBeUndefined();
      expect(await cache.get('forever')).toBe(3);
    });
  });

  describe('bad input', () => {
    it.each([
      ['an empty key', ''],
      ['a key over 1024 characters', 'k'.repeat(1025)],
      ['a non-string key', 42],
    ])('rejects %s with E_CACHE_INVALID_KEY', async (_what, key) => {
      await expect(cache.set(key as string, 1)).rejects.toMatchObject({
        code: 'E_CACHE_INVALID_KEY',
      });
      await expect(cache.get(key as string)).rejects.toBeInstanceOf(InvalidKeyError);
    });

    it('rejects, never throws, a bad key or bad options of getOrSet, also on a memory hit', async () => {
      await cache.set('held', 1);
      const load = (): number => 2;
      await expect(cache.getOrSet('', load)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(cache.getOrSet('held', load, { refreshAhead: 7 })).rejects.toBeInstanceOf(
        InvalidOptionError,
      );
      await expect(cache.getOrSet('held', load)).resolves.toBe(1);
    });

    it('accepts a key of exactly 1024 characters', async () => {
      await cache.set('k'.repeat(1024), 1);
      expect(await cache.get('k'.repeat(1024))).toBe(1);
    });

    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    it.each([
      ['undefined', undefined, /value is undefined/],
      ['a function', { f: () => 1 }, /value\.f is a function/],
      ['a symbol', Symbol('s'), /symbol/],
      ['a BigInt', { n: 10n }, /value\.n is a bigint/],
      ['NaN', { n: NaN }, /value\.n is NaN/],
      ['Infinity', [Infinity], /value\[0\] is Infinity/],
      ['a circular reference', circular, /value\.self is a circular reference/],
      ['a Map', { m: new Map() }, /value\.m is a Map/],
      ['a Set', new Set([1]), /value is a Set/],
      ['undefined inside an array', [1, undefined], /value\[1\] is undefined/],
      ['an invalid Date', new Date('nope'), /invalid Date/],
      ['a Buffer', Buffer.from('x'), /binary/],
    ])(
      'rejects %s with E_CACHE_INVALID_VALUE and stores nothing',
      async (_what, value, message) => {
        await cache.set('k', 'before');
        const attempt = cache.set('k', value);
        await expect(attempt).rejects.toBeInstanceOf(InvalidValueError);
        await expect(cache.set('k', value)).rejects.toThrow(message);
        expect(await cache.get('k')).toBe('before');
      },
    );

    it('rejects bad per-call options naming them', async () => {
      await expect(cache.set('k', 1, { ttl: '5 mins' as '5m' })).rejects.toThrow(
        'options.ttl: "5 mins" is not a duration',
      );
      await expect(cache.set('k', 1, { tags: [''] })).rejects.toThrow(InvalidOptionError);
      await expect(cache.set('k', 1, { ttl: -1 })).rejects.toThrow(/not a duration/);
      await expect(
        cache.set('k', 1, { colour: 'red' } as unknown as { ttl: number }),
      ).rejects.toThrow('options.colour: unknown option');
      expect(await cache.has('k')).toBe(false);
    });

    it('drops undefined object properties, as JSON does', async () => {
      await cache.set('k', { a: 1, b: undefined });
      expect(Object.keys(await cache.get('k'))).toEqual(['a']);
    });

    it('stores class instances as their own data', async () => {
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
        get sum(): number {
          return this.x + this.y;
        }
      }
      await cache.set('p', new Point(1, 2));
      expect(await cache.get('p')).toStrictEqual({ x: 1, y: 2 });
    });
  });

  describe('getOrSet', () => {
    it('calls the loader once for concurrent callers and caches its value', async () => {
      const load = deferred<string>();
      const loader = jest.fn(() => load.promise);
      const callers = [
        cache.getOrSet('k', loader),
        cache.getOrSet('k', loader),
        cache.getOrSet('k', loader),
      ];
      await Promise.resolve();
      load.resolve('v');
      expect(await Promise.all(callers)).toEqual(['v', 'v', 'v']);
      expect(loader).toHaveBeenCalledTimes(1);
      expect(await cache.getOrSet('k', loader)).toBe('v');
      expect(loader).toHaveBeenCalledTimes(1);
      expect(await cache.get('k')).toBe('v');
    });

    it('rejects every waiter when the loader throws, caches nothing, and retries next time', async () => {
      const load = deferred<string>();
      const loader = jest.fn(() => load.promise);
      const callers = [cache.getOrSet('k', loader), cache.getOrSet('k', loader)];
      load.reject(new Error('db down'));
      for (const caller of callers) await expect(caller).rejects.toThrow('db down');
      expect(await cache.has('k')).toBe(false);
      expect(await cache.getOrSet('k', () => 'fresh')).toBe('fresh');
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it('handles a loader that throws synchronously', async () => {
      const loader = (): string => {
        throw new Error('sync');
      };
      await expect(cache.getOrSet('k', loader)).rejects.toThrow('sync');
      expect(await cache.getOrSet('k', () => 'ok')).toBe('ok');
    });

    it('does not let a slow load overwrite a newer set', async () => {
      const load = deferred<string>();
      const pending = cache.getOrSet('k', () => load.promise);
      await Promise.resolve();
      await cache.set('k', 'newer');
      load.resolve('stale');
      expect(await pending).toBe('stale');
      expect(await cache.get('k')).toBe('newer');
    });

    it('returns but does not cache undefined', async () => {
      expect(await cache.getOrSet('k', () => undefined)).toBeUndefined();
      expect(await cache.has('k')).toBe(false);
    });

    it('applies options to what it stores and returns a frozen copy', async () => {
      const loaded = { n: 1 };
      const got = await cache.getOrSet('k', () => loaded, { ttl: '1s', tags: ['t'] });
      expect(got).toEqual({ n: 1 });
      expect(Object.isFrozen(got)).toBe(true);
      expect(Object.isFrozen(loaded)).toBe(false);
      expect(await cache.getTtl('k')).toBe(1000);
      expect(await cache.invalidateTags(['t'])).toBe(1);
    });

    it('rejects an unserializable loader result for every waiter', async () => {
      const callers = [cache.getOrSet('k', () => ({ f: () => 1 })), cache.getOrSet('k', () => 1)];
      for (const caller of callers) await expect(caller).rejects.toBeInstanceOf(InvalidValueError);
      expect(await cache.has('k')).toBe(false);
    });
  });

  describe('loads superseded by writes and invalidations', () => {
    it('a set while the load runs wins over the load', async () => {
      const load = deferred<string>();
      const pending = cache.getOrSet('k', () => load.promise);
      await cache.set('k', 'fresh');
      load.resolve('stale');
      expect(await pending).toBe('stale');
      expect(await cache.get('k')).toBe('fresh');
    });

    it.each([
      ['delete', (c: NamespaceCache<any>) => c.delete('user:1')],
      ['clear', (c: NamespaceCache<any>) => c.clear()],
      ['invalidateTags', (c: NamespaceCache<any>) => c.invalidateTags(['users'])],
      ['invalidatePattern', (c: NamespaceCache<any>) => c.invalidatePattern('user:*')],
    ])(
      '%s while the load runs: nothing stale is cached and new callers load afresh',
      async (_op, invalidate) => {
        const first = deferred<string>();
        const pending = cache.getOrSet('user:1', () => first.promise, { tags: ['users'] });
        await invalidate(cache);
        const second = jest.fn(async () => 'fresh');
        const next = cache.getOrSet('user:1', second, { tags: ['users'] });
        first.resolve('stale');
        expect(await pending).toBe('stale');
        expect(await next).toBe('fresh');
        expect(second).toHaveBeenCalledTimes(1);
        expect(await cache.get('user:1')).toBe('fresh');
      },
    );
  });

  describe('getMany / setMany', () => {
    it('reads many keys in order', async () => {
      await cache.setMany([
        ['a', 1],
        ['b', { x: 2 }, { ttl: '1s' }],
      ]);
      expect(await cache.getMany(['a', 'missing', 'b'])).toEqual([1, undefined, { x: 2 }]);
      jest.advanceTimersByTime(1000);
      expect(await cache.getMany(['a', 'b'])).toEqual([1, undefined]);
    });

    it('stores none when one entry is bad', async () => {
      await expect(
        cache.setMany([
          ['a', 1],
          ['b', undefined],
        ]),
      ).rejects.toThrow('entries[1][1] is undefined');
      expect(await cache.has('a')).toBe(false);
      await expect(
        cache.setMany([
          ['a', 1],
          ['', 2],
        ]),
      ).rejects.toThrow('entries[1][0] is empty');
      await expect(cache.setMany([null as never])).rejects.toThrow(
        'entries[0]: expected a [key, value, options?] tuple',
      );
      await expect(cache.getMany(['a', 7 as never])).rejects.toThrow('keys[1] must be a string');
      expect(await cache.has('a')).toBe(false);
    });

    it('counts a hit or a miss per key', async () => {
      await cache.set('a', 1);
      await cache.getMany(['a', 'b', 'a']);
      expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
    });
  });

  describe('update', () => {
    it('shallow-merges, keeps the TTL, and is false for a missing key', async () => {
      await cache.set('u', { name: 'a', nested: { x: 1 }, n: 1 }, { ttl: '10s' });
      jest.advanceTimersByTime(4000);
      expect(await cache.update('u', { name: 'b', nested: { y: 2 } })).toBe(true);
      expect(await cache.get('u')).toEqual({ name: 'b', nested: { y: 2 }, n: 1 });
      expect(await cache.getTtl('u')).toBe(6000);
      expect(await cache.update('missing', { name: 'x' })).toBe(false);
      expect(await cache.has('missing')).toBe(false);
    });

    it('leaves a field whose patch property is undefined as it was; null clears it', async () => {
      await cache.set('u', { name: 'a', email: 'a@example.com' });
      await cache.update('u', { name: 'b', email: undefined });
      expect(await cache.get('u')).toEqual({ name: 'b', email: 'a@example.com' });
      await cache.update('u', { email: null });
      expect(await cache.get('u')).toEqual({ name: 'b', email: null });
    });

    it.each(['__proto__', 'constructor', 'prototype'])(
      'refuses the patch key %s and pollutes nothing',
      async (key) => {
        await cache.set('u', { name: 'a' });
        const patch = JSON.parse(`{"${key}": {"polluted": true}, "name": "b"}`) as object;
        await expect(cache.update('u', patch)).rejects.toMatchObject({
          code: 'E_CACHE_INVALID_VALUE',
        });
        const got = await cache.get('u');
        expect(got).toEqual({ name: 'a' });
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
      },
    );

    it('refuses to merge into a non-object', async () => {
      await cache.set('n', 5);
      await expect(cache.update('n', { a: 1 })).rejects.toBeInstanceOf(WrongTypeError);
      await cache.set('arr', [1]);
      await expect(cache.update('arr', { a: 1 })).rejects.toBeInstanceOf(WrongTypeError);
      await expect(cache.update('n', null as unknown as object)).rejects.toBeInstanceOf(
        InvalidValueError,
      );
      expect(await cache.get('n')).toBe(5);
    });

    it('does not keep a reference to the patch', async () => {
      await cache.set('u', { a: 1 });
      const patch = { list: [1] };
      await cache.update('u', patch);
      patch.list.push(2);
      expect(await cache.get('u')).toEqual({ a: 1, list: [1] });
    });
  });

  describe('increment / decrement', () => {
    it('counts atomically from zero and sets the TTL once, on creation', async () => {
      expect(await cache.increment('c', 1, { ttl: '10s' })).toBe(1);
      jest.advanceTimersByTime(5000);
      const results = await Promise.all(Array.from({ length: 50 }, () => cache.increment('c')));
      expect(new Set(results).size).toBe(50);
      expect(await cache.get('c')).toBe(51);
      expect(await cache.decrement('c', 11)).toBe(40);
      expect(await cache.getTtl('c')).toBe(5000);
      jest.advanceTimersByTime(5000);
      expect(await cache.get('c')).toBeUndefined();
      expect(await cache.decrement('c')).toBe(-1);
    });

    it('refuses a non-number value or step', async () => {
      await cache.set('s', 'text');
      await expect(cache.increment('s')).rejects.toMatchObject({ code: 'E_CACHE_WRONG_TYPE' });
      await expect(cache.increment('c', NaN)).rejects.toBeInstanceOf(InvalidValueError);
      await expect(cache.increment('c', '2' as unknown as number)).rejects.toBeInstanceOf(
        InvalidValueError,
      );
      expect(await cache.get('s')).toBe('text');
      expect(await cache.has('c')).toBe(false);
      // A step that is not a number is named as what it is, whatever it is.
      await expect(cache.increment('c', '2' as unknown as number)).rejects.toThrow('got "2"');
      await expect(
        cache.increment('c', Object.create(null) as unknown as number),
      ).rejects.toMatchObject({ code: 'E_CACHE_INVALID_VALUE', message: /by must be a finite/ });
      // A key in a message is quoted as JSON: a newline in it cannot start a line of its own.
      await cache.set('line\nforged', 'text');
      await expect(cache.increment('line\nforged')).rejects.toThrow(
        'cannot increment "line\\nforged"',
      );
    });
  });

  describe('setIfAbsent', () => {
    it('stores only when absent; concurrent callers: exactly one wins', async () => {
      const results = await Promise.all([1, 2, 3].map((n) => cache.setIfAbsent('lock', n)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await cache.get('lock')).toBe(results.indexOf(true) + 1);
      await cache.delete('lock');
      expect(await cache.setIfAbsent('lock', 9, { ttl: '1s' })).toBe(true);
      jest.advanceTimersByTime(1000);
      expect(await cache.setIfAbsent('lock', 10)).toBe(true);
    });
  });

  describe('getTtl / expire', () => {
    it('reports remaining ms, Infinity without expiry, undefined when missing', async () => {
      await cache.set('k', 1, { ttl: '30s' });
      await cache.set('forever', 1, { ttl: Infinity });
      jest.advanceTimersByTime(10_000);
      expect(await cache.getTtl('k')).toBe(20_000);
      expect(await cache.getTtl('forever')).toBe(Infinity);
      expect(await cache.getTtl('missing')).toBeUndefined();
    });

    it('gives a key a new TTL', async () => {
      await cache.set('k', 1, { ttl: '30s' });
      expect(await cache.expire('k', '2m')).toBe(true);
      expect(await cache.getTtl('k')).toBe(120_000);
      expect(await cache.expire('k', Infinity)).toBe(true);
      expect(await cache.getTtl('k')).toBe(Infinity);
      expect(await cache.expire('missing', '1m')).toBe(false);
      await expect(cache.expire('k', '1 minute' as '1m')).rejects.toThrow(
        'ttl: "1 minute" is not a duration',
      );
    });
  });

  describe('tags', () => {
    it('invalidates every entry carrying any of the tags', async () => {
      await cache.set('a', 1, { tags: ['user:1', 'users'] });
      await cache.set('b', 2, { tags: ['users'] });
      await cache.set('c', 3, { tags: ['other'] });
      expect(await cache.invalidateTags(['user:1'])).toBe(1);
      expect(await cache.getMany(['a', 'b', 'c'])).toEqual([undefined, 2, 3]);
      expect(await cache.invalidateTags(['users', 'other'])).toBe(2);
      expect(await cache.invalidateTags(['users'])).toBe(0);
    });

    it('forgets old tags on overwrite', async () => {
      await cache.set('a', 1, { tags: ['old'] });
      await cache.set('a', 2);
      expect(await cache.invalidateTags(['old'])).toBe(0);
      expect(await cache.get('a')).toBe(2);
    });
  });

  describe('secondary indexes', () => {
    it('finds values and keys, kept in step on overwrite, delete and expiry', async () => {
      await cache.set('u1', { id: 1 }, { indexes: { email: 'a@x', team: 'red' } });
      await cache.set('u2', { id: 2 }, { indexes: { email: 'b@x', team: 'red' }, ttl: '1s' });
      await cache.set('u3', { id: 3 }, { indexes: { team: 'red' } });
      expect(await cache.getByIndex('email', 'a@x')).toEqual([{ id: 1 }]);
      expect((await cache.keysByIndex('team', 'red')).sort()).toEqual(['u1', 'u2', 'u3']);
      await cache.set('u1', { id: 1 }, { indexes: { email: 'new@x', team: 'blue' } });
      await cache.delete('u3');
      jest.advanceTimersByTime(1000);
      expect(await cache.keysByIndex('team', 'red')).toEqual([]);
      expect(await cache.getByIndex('email', 'a@x')).toEqual([]);
      expect(await cache.getByIndex('email', 'new@x')).toEqual([{ id: 1 }]);
    });

    it('leaves out an entry that passes its TTL between the index read and the value read', async () => {
      const graced = createCache({ grace: 60_000 }, twoTiers);
      await graced.set('u', { id: 1 }, { ttl: 1000, indexes: { team: 'red' } });
      const readIndex = MemoryTier.prototype.keysByIndex;
      const index = jest.spyOn(MemoryTier.prototype, 'keysByIndex').mockImplementation(function (
        this: MemoryTier,
        name,
        value,
      ) {
        const keys = readIndex.call(this, name, value);
        jest.advanceTimersByTime(1000);
        return keys;
      });
      try {
        expect(await graced.getByIndex('team', 'red')).toEqual([]);
      } finally {
        index.mockRestore();
      }
    });

    it('keeps indexes in step with eviction', async () => {
      const small = createCache({ maxEntries: 2 });
      await small.set('a', 1, { indexes: { kind: 'x' } });
      await small.set('b', 2, { indexes: { kind: 'x' } });
      await small.set('c', 3, { indexes: { kind: 'x' } });
      expect((await small.keysByIndex('kind', 'x')).sort()).toEqual(['b', 'c']);
    });

    it('does not confuse index names and values containing separators', async () => {
      await cache.set('a', 1, { indexes: { 'x:y': 'z' } });
      await cache.set('b', 2, { indexes: { x: 'y:z' } });
      expect(await cache.keysByIndex('x:y', 'z')).toEqual(['a']);
      expect(await cache.keysByIndex('x', 'y:z')).toEqual(['b']);
    });
  });

  describe('invalidatePattern / onInvalidate', () => {
    it('deletes keys matching the glob and notifies matching subscribers', async () => {
      const seen: string[] = [];
      const all: string[] = [];
      const unsubscribe = cache.onInvalidate('user:*', (key) => seen.push(key));
      cache.onInvalidate('*', (key) => all.push(key));
      await cache.set('user:1', 1);
      await cache.set('user:2', 2);
      await cache.set('order:1', 3);
      expect(await cache.invalidatePattern('user:*')).toBe(2);
      expect(seen.sort()).toEqual(['user:1', 'user:2']);
      expect(await cache.get('order:1')).toBe(3);
      await cache.delete('order:1');
      expect(all.sort()).toEqual(['order:1', 'user:1', 'user:2']);
      unsubscribe();
      await cache.set('user:3', 3);
      await cache.delete('user:3');
      expect(seen).toHaveLength(2);
    });

    it('treats regex and Redis glob characters literally', async () => {
      await cache.set('a.b', 1);
      await cache.set('axb', 2);
      await cache.set('[ab]', 3);
      await cache.set('a', 4);
      expect(await cache.invalidatePattern('a.b')).toBe(1);
      expect(await cache.get('axb')).toBe(2);
      expect(await cache.invalidatePattern('[ab]')).toBe(1);
      expect(await cache.get('a')).toBe(4);
      expect(await cache.invalidatePattern('\\*')).toBe(0);
    });

    it('notifies tag invalidations too, and survives a throwing callback', async () => {
      const seen: string[] = [];
      cache.onInvalidate('*', () => {
        throw new Error('callback bug');
      });
      cache.onInvalidate('*', (key) => seen.push(key));
      await cache.set('a', 1, { tags: ['t'] });
      expect(await cache.invalidateTags(['t'])).toBe(1);
      expect(seen).toEqual(['a']);
    });

    it('rejects an empty glob', async () => {
      await expect(cache.invalidatePattern('')).rejects.toBeInstanceOf(InvalidOptionError);
      expect(() => cache.onInvalidate('', () => undefined)).toThrow(InvalidOptionError);
    });
  });

  describe('clear', () => {
    it('deletes every entry and returns how many', async () => {
      await cache.setMany([
        ['a', 1],
        ['b', 2],
      ]);
      expect(await cache.clear()).toBe(2);
      expect(cache.stats().deletes).toBe(2);
      expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined]);
      expect(await cache.clear()).toBe(0);
    });
  });

  describe('stats and events', () => {
    it('counts exactly what happened', async () => {
      await cache.set('a', 1);
      await cache.set('b', 'x', { persistence: PersistenceLevel.ON_SHUTDOWN });
      await cache.get('a');
      await cache.get('a');
      await cache.get('missing');
      await cache.delete('a');
      await cache.set('short', 1, { ttl: '1s' });
      jest.advanceTimersByTime(1000);
      await cache.get('short');
      const stats = cache.stats();
      expect(stats).toMatchObject({
        hits: 2,
        misses: 2,
        hitRate: 0.5,
        sets: 3,
        deletes: 1,
        expirations: 1,
        evictions: 0,
        entries: 1,
        persistent: 1,
        memoryOnly: 0,
        errors: 0,
      });
      expect(stats.bytes).toBe('b'.length + '"x"'.length);
    });

    it('emits hit, miss, set, delete and expire; unsubscribes', async () => {
      const events: string[] = [];
      for (const event of ['hit', 'miss', 'set', 'delete', 'expire'] as const) {
        cache.on(event, ({ key, namespace }) => events.push(`${event}:${namespace}:${key}`));
      }
      await cache.set('a', 1, { ttl: '1s' });
      await cache.get('a');
      await cache.get('b');
      await cache.delete('a');
      await cache.set('c', 1, { ttl: '1s' });
      jest.advanceTimersByTime(1000);
      await cache.get('c');
      expect(events).toEqual([
        'set:test:a',
        'hit:test:a',
        'miss:test:b',
        'delete:test:a',
        'set:test:c',
        'expire:test:c',
        'miss:test:c',
      ]);
    });

    it('counts and emits evictions', async () => {
      const small = createCache({ maxEntries: 1 });
      const evicted: string[] = [];
      small.on('evict', ({ key }) => evicted.push(key));
      await small.set('a', 1);
      await small.set('b', 2);
      expect(evicted).toEqual(['a']);
      expect(small.stats().evictions).toBe(1);
    });

    it('a throwing listener does not break the call', async () => {
      cache.on('set', () => {
        throw new Error('listener bug');
      });
      await cache.set('a', 1);
      expect(await cache.get('a')).toBe(1);
    });

    it('refuses an event it never emits (a typo would never fire) and a listener that is no function', () => {
      expect(() => cache.on('sets' as never, () => undefined)).toThrow(
        /on\(event\): "sets" is not an event; one of hit, miss, set, delete, evict, expire, error/,
      );
      expect(() => cache.on('__proto__' as never, () => undefined)).toThrow(InvalidOptionError);
      // JSON cannot write every value: the refusal must still be a CacheError naming it.
      expect(() => cache.on(1n as never, () => undefined)).toThrow(/1n is not an event/);
      expect(() => cache.on(Symbol('set') as never, () => undefined)).toThrow(
        /Symbol\(set\) is not an event/,
      );
      expect(() => cache.on('set', 'listener' as never)).toThrow(/expected a function/);
    });
  });
});

describe('NamespaceCache memory bounds', () => {
  it('refuses a value larger than maxBytes in a memory-only namespace', async () => {
    const cache = createCache({ maxEntries: undefined, maxBytes: 100 });
    await expect(cache.set('k', 'x'.repeat(200))).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await cache.has('k')).toBe(false);
  });
});

describe('NamespaceCache maxValueBytes', () => {
  it('refuses a value over the limit with a clear error before copying it, storing nothing', async () => {
    const cache = createCache({ maxValueBytes: 1000 });
    const huge = { list: Array.from({ length: 100_000 }, (_, i) => `item ${i}`) };
    await expect(cache.set('k', huge)).rejects.toMatchObject({ code: 'E_CACHE_VALUE_TOO_LARGE' });
    await expect(cache.set('k', 'x'.repeat(2000))).rejects.toThrow(
      'value is over maxValueBytes (1000 bytes)',
    );
    expect(await cache.has('k')).toBe(false);
    await cache.set('k', 'x'.repeat(900));
    expect(await cache.get('k')).toBe('x'.repeat(900));
  });
});

describe('NamespaceCache memory bounds and two tiers', () => {
  it('setMany stores none when one value is over maxBytes', async () => {
    const cache = createCache({ maxEntries: undefined, maxBytes: 50 });
    await expect(
      cache.setMany([
        ['a', 1],
        ['b', 'x'.repeat(100)],
      ]),
    ).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await cache.has('a')).toBe(false);
  });

  it('keeps a value too large for memory in the far tier only, never serving the old one', async () => {
    const cache = createCache({ maxEntries: undefined, maxBytes: 50 }, true);
    await cache.set('k', 'small');
    await cache.set('k', 'x'.repeat(100));
    expect(await cache.get('k')).toBe('x'.repeat(100));
    expect(cache.stats().entries).toBe(0);
  });

  it('serves counters and merged objects fresh after atomic updates on the far tier', async () => {
    const cache = createCache<any>({}, true);
    await cache.set('c', 1);
    await cache.set('o', { a: 1 });
    expect(await cache.get('c')).toBe(1);
    expect(await cache.get('o')).toEqual({ a: 1 });
    expect(await cache.increment('c')).toBe(2);
    expect(await cache.update('o', { b: 2 })).toBe(true);
    expect(await cache.get('c')).toBe(2);
    expect(await cache.get('o')).toEqual({ a: 1, b: 2 });
  });

  it('drops entries from memory on tag and pattern invalidation of the far tier', async () => {
    const cache = createCache<any>({}, true);
    await cache.set('user:1', 1, { tags: ['t'] });
    await cache.set('user:2', 2);
    await cache.getMany(['user:1', 'user:2']);
    expect(await cache.invalidateTags(['t'])).toBe(1);
    expect(await cache.invalidatePattern('user:*')).toBe(1);
    expect(await cache.getMany(['user:1', 'user:2'])).toEqual([undefined, undefined]);
  });
});

describe("NamespaceCache reads racing the instance's own invalidations", () => {
  function layered(): { cache: NamespaceCache<string>; far: MemoryTier } {
    const settings = namespaceSettings({
      name: 'race',
      tiers: ['memory', 'redis'],
      maxEntries: 100,
    });
    const far = new MemoryTier({ maxEntries: 100 });
    const cache = new NamespaceCache<string>(settings, {
      near: new MemoryTier({ maxEntries: 100 }),
      far,
    });
    return { cache, far };
  }
  const stored = (value: string) => ({
    value,
    size: value.length + 2,
    expiresAt: Infinity,
    persistence: PersistenceLevel.MEMORY_ONLY,
  });

  it.each([
    ['delete', (cache: NamespaceCache<string>) => cache.delete('k')],
    ['invalidatePattern', (cache: NamespaceCache<string>) => cache.invalidatePattern('k*')],
    ['invalidateTags', (cache: NamespaceCache<string>) => cache.invalidateTags(['t'])],
    ['clear', (cache: NamespaceCache<string>) => cache.clear()],
  ])(
    'a read in flight during %s does not put the old value back in memory',
    async (_op, invalidate) => {
      const { cache, far } = layered();
      far.set('k', { ...stored('old'), tags: ['t'] });
      const read = cache.get('k');
      await invalidate(cache);
      expect(await read).toBe('old');
      expect(await cache.get('k')).toBeUndefined();
      expect(cache.stats().entries).toBe(0);
    },
  );

  it('a read in flight during a write does not overwrite the newer value in memory', async () => {
    const { cache, far } = layered();
    far.set('k', stored('old'));
    const read = cache.get('k');
    await cache.set('k', 'new');
    await read;
    expect(await cache.get('k')).toBe('new');
  });
});
