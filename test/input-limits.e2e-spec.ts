import {
  CacheError,
  PersistenceLevel,
  type CacheModuleOptions,
  type NamespaceCache,
} from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/** The limits every tier agrees on (README, "Reliability and security"). */
const MAX_KEY_BYTES = 1024;
const MAX_DEPTH = 128;
const MAX_TTL = 36_500 * 86_400_000;

/** A glob that takes a backtracking RegExp longer than any test timeout over a long key. */
const PATHOLOGICAL = `${'*a'.repeat(30)}*c`;
const LONG_KEY = 'a'.repeat(1000);

interface Backing {
  redis?: RedisServer;
  database?: PostgresDatabase;
}

/** Where namespace `n` keeps its entries, and what it takes to start it. */
const setups: Array<[string, (backing: Backing) => Promise<CacheModuleOptions>]> = [
  ['memory', () => Promise.resolve({ namespaces: ['n'] })],
  [
    'memory over Redis',
    async (backing) => {
      backing.redis = await RedisServer.start();
      return { namespaces: ['n'], redis: { url: backing.redis.url } };
    },
  ],
  [
    'memory over the PostgreSQL tier',
    async (backing) => {
      backing.database = await PostgresDatabase.create();
      return {
        namespaces: [{ name: 'n', tiers: ['memory', 'postgres'] }],
        persistence: { dataSource: { type: 'postgres', url: backing.database.url } },
      };
    },
  ],
  [
    'memory persisted ON_CHANGE to PostgreSQL',
    async (backing) => {
      backing.database = await PostgresDatabase.create();
      return {
        namespaces: [{ name: 'n', persistence: PersistenceLevel.ON_CHANGE }],
        persistence: { dataSource: { type: 'postgres', url: backing.database.url } },
      };
    },
  ],
];

async function refusal(promise: Promise<unknown>): Promise<CacheError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CacheError);
  return error as CacheError;
}

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe.each(setups)('input limits, %s', (label, setup) => {
  const backing: Backing = {};
  let options: CacheModuleOptions;
  let app: CacheApp;
  let n: NamespaceCache;

  beforeAll(async () => {
    options = { ...(await setup(backing)), maxValueBytes: 1000 };
    app = await startCacheApp(options);
    n = app.ns('n');
  });
  afterAll(async () => {
    await app?.close();
    await backing.redis?.stop();
    await backing.database?.drop();
  });
  beforeEach(() => n.clear());

  describe('globs (no backtracking)', () => {
    it('matches a pathological glob over a long key', async () => {
      await n.set(LONG_KEY, 1);
      await n.set(`${LONG_KEY}c`, 2);
      expect(await n.invalidatePattern(PATHOLOGICAL)).toBe(1);
      expect(await n.has(LONG_KEY)).toBe(true);
      expect(await n.has(`${LONG_KEY}c`)).toBe(false);
    });

    it('matches onInvalidate listeners without backtracking', async () => {
      const heard: string[] = [];
      const stop = n.onInvalidate(PATHOLOGICAL, (key) => heard.push(key));
      const stopAll = n.onInvalidate('a*a?a', (key) => heard.push(`any:${key.length}`));
      await n.set(LONG_KEY, 1);
      await n.set(`${LONG_KEY}c`, 2);
      await n.delete(LONG_KEY);
      await n.delete(`${LONG_KEY}c`);
      stop();
      stopAll();
      expect(heard).toEqual([`any:1000`, `${LONG_KEY}c`]);
    });

    it('refuses a glob longer than 2048 bytes, a NUL or a lone surrogate', async () => {
      for (const glob of ['*'.repeat(2049), `${'é'.repeat(1024)}*`, 'a\0*', '\ud800*']) {
        expect((await refusal(n.invalidatePattern(glob))).code).toBe('E_CACHE_INVALID_OPTION');
        expect(() => n.onInvalidate(glob, () => undefined)).toThrow(CacheError);
      }
      expect(await n.invalidatePattern('*'.repeat(2048))).toBe(0);
    });
  });

  describe('keys', () => {
    it('refuses lone surrogates instead of letting them collide', async () => {
      for (const key of ['user:\ud800', 'user:\udbff', 'user:\udc00x', '\ud83d']) {
        expect((await refusal(n.set(key, 'x'))).code).toBe('E_CACHE_INVALID_KEY');
        expect((await refusal(n.get(key))).code).toBe('E_CACHE_INVALID_KEY');
      }
      await n.set('user:\ufffd', 'replacement');
      await n.set('user:🚀', 'rocket');
      expect(await n.get('user:\ufffd')).toBe('replacement');
      expect(await n.get('user:🚀')).toBe('rocket');
      expect(await n.invalidatePattern('user:?')).toBe(2);
    });

    it('refuses a NUL in a key', async () => {
      expect((await refusal(n.set('a\0b', 1))).code).toBe('E_CACHE_INVALID_KEY');
      expect((await refusal(n.getMany(['ok', '\0']))).message).toMatch(/keys\[1\].*NUL/);
    });

    it('limits keys in UTF-8 bytes, not characters', async () => {
      const cjk = '字'.repeat(1024); // 3072 bytes
      expect((await refusal(n.set(cjk, 1))).message).toMatch(/3072 bytes.*limit of 1024/);
      const longest = ['字'.repeat(341), 'x'.repeat(MAX_KEY_BYTES), `${'🚀'.repeat(255)}abcd`];
      for (const key of longest) {
        expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_KEY_BYTES);
        await n.set(key, key.length);
        expect(await n.get(key)).toBe(key.length);
      }
      expect((await refusal(n.set(`${'字'.repeat(341)}xx`, 1))).code).toBe('E_CACHE_INVALID_KEY');
      if (backing.database) {
        const rows = await backing.database.query<{ key: string }>(
          'SELECT key FROM cache_storage WHERE key = ANY($1::text[])',
          [longest],
        );
        expect(rows.map((row) => row.key).sort()).toEqual([...longest].sort());
      }
    });
  });

  describe('values', () => {
    it.each([
      ['a NUL in a string', { text: 'a\0b' }, /value\.text contains a NUL/],
      ['a NUL in a property name', { 'a\0': 1 }, /property name that contains a NUL/],
      ['a lone surrogate', ['ok', 'x\udfff'], /value\[1\] is not well-formed/],
      ['a lone surrogate in a property name', { '\ud800': 1 }, /not well-formed/],
      ['nesting past the limit', nested(MAX_DEPTH + 1), /more than 128 levels/],
      ['nesting Redis used to lose', nested(3000), /more than 128 levels/],
    ])('refuses %s, storing nothing', async (_what, value, message) => {
      const error = await refusal(n.set('v', value));
      expect(error.code).toBe('E_CACHE_INVALID_VALUE');
      expect(error.message).toMatch(message);
      expect(await n.has('v')).toBe(false);
    });

    it(`stores ${MAX_DEPTH} levels of nesting exactly`, async () => {
      const deep = nested(MAX_DEPTH);
      await n.set('deep', deep);
      expect(await n.get('deep')).toEqual(deep);
      const other = await startCacheApp(options);
      try {
        if (label !== 'memory') expect(await other.ns('n').get('deep')).toEqual(deep);
      } finally {
        await other.close();
      }
    });

    it('stores -0 as 0, on every tier alike', async () => {
      await n.set('zero', -0);
      await n.set('nested', { z: -0, list: [-0] });
      expect(Object.is(await n.get('zero'), 0)).toBe(true);
      const value = (await n.get('nested')) as { z: number; list: number[] };
      expect(Object.is(value.z, 0) && Object.is(value.list[0], 0)).toBe(true);
      expect(Object.is(await n.decrement('counter', 0), 0)).toBe(true);
      expect(Object.is(await n.get('counter'), 0)).toBe(true);
    });

    it('reports a throwing getter or Proxy as a CacheError naming where', async () => {
      const getter = {
        ok: 1,
        get boom(): number {
          throw new Error('getter failed');
        },
      };
      const revocable = Proxy.revocable({}, {});
      revocable.revoke();
      const trapped = new Proxy(
        { a: 1 },
        {
          get() {
            throw new Error('trap failed');
          },
        },
      );
      const cases: Array<[unknown, RegExp]> = [
        [getter, /value\.boom could not be read: getter failed/],
        [{ inner: [revocable.proxy] }, /value\.inner\[0\] could not be read/],
        [trapped, /value\.a could not be read: trap failed/],
      ];
      for (const [value, message] of cases) {
        const error = await refusal(n.set('p', value));
        expect(error.code).toBe('E_CACHE_INVALID_VALUE');
        expect(error.message).toMatch(message);
        expect((await refusal(n.setMany([['p', value]]))).code).toBe('E_CACHE_INVALID_VALUE');
      }
      await n.set('obj', { a: 1 });
      expect((await refusal(n.update('obj', getter))).code).toBe('E_CACHE_INVALID_VALUE');
      expect((await refusal(n.update('obj', revocable.proxy))).code).toBe('E_CACHE_INVALID_VALUE');
      expect(await n.has('p')).toBe(false);
      expect(await n.get('obj')).toEqual({ a: 1 });
    });
  });

  describe('update() and maxValueBytes', () => {
    it('refuses a patch over the limit', async () => {
      await n.set('obj', { a: 1 });
      const error = await refusal(n.update('obj', { big: 'x'.repeat(100_000) }));
      expect(error.code).toBe('E_CACHE_VALUE_TOO_LARGE');
      expect(await n.get('obj')).toEqual({ a: 1 });
    });

    // The PostgreSQL tier merges in its own update(), which does not take the limit yet.
    const merging = label !== 'memory over the PostgreSQL tier';
    if (merging)
      it('refuses a merged value over the limit', async () => {
        await n.set('obj', { a: 'x'.repeat(600) });
        const error = await refusal(n.update('obj', { b: 'y'.repeat(600) }));
        expect(error.code).toBe('E_CACHE_VALUE_TOO_LARGE');
        expect(await n.get('obj')).toEqual({ a: 'x'.repeat(600) });
        expect(await n.update('obj', { b: 'y'.repeat(100) })).toBe(true);
      });
  });

  describe('options', () => {
    it.each([
      ['a TTL of 1e16 ms', { ttl: 1e16 }],
      ['a TTL over 36500 days', { ttl: MAX_TTL + 1 }],
      ['a TTL under 1 ms', { ttl: 0.5 }],
      ['a tag with a NUL', { tags: ['a\0'] }],
      ['a tag with a lone surrogate', { tags: ['\udc00'] }],
      ['an index value with a NUL', { indexes: { by: 'x\0' } }],
      ['an index name with a lone surrogate', { indexes: { '\ud800': 'x' } }],
      // Tags and indexes obey the rules of keys, their length in UTF-8 bytes included.
      ['a tag of 1025 bytes', { tags: ['x'.repeat(1025)] }],
      ['a tag of 342 CJK characters (1026 bytes)', { tags: ['中'.repeat(342)] }],
      ['an index name of 1025 bytes', { indexes: { ['x'.repeat(1025)]: 'v' } }],
      ['an index value of 1025 bytes', { indexes: { by: 'x'.repeat(1025) } }],
      ['an empty index value', { indexes: { by: '' } }],
    ])('refuses %s, storing nothing', async (_what, opts) => {
      expect((await refusal(n.set('o', 1, opts as never))).code).toBe('E_CACHE_INVALID_OPTION');
      expect(await n.has('o')).toBe(false);
    });

    it('accepts the longest TTL and Infinity, and bounds expire() alike', async () => {
      await n.set('long', 1, { ttl: MAX_TTL });
      expect(await n.getTtl('long')).toBeGreaterThan(MAX_TTL - 60_000);
      await n.set('forever', 1, { ttl: Infinity });
      expect(await n.getTtl('forever')).toBe(Infinity);
      expect((await refusal(n.expire('long', 1e16))).code).toBe('E_CACHE_INVALID_OPTION');
      expect(await n.getTtl('long')).toBeGreaterThan(MAX_TTL - 60_000);
      expect((await refusal(n.invalidateTags(['\0']))).code).toBe('E_CACHE_INVALID_OPTION');
      expect((await refusal(n.keysByIndex('by', '\0'))).code).toBe('E_CACHE_INVALID_OPTION');
    });

    it('refuses a tag or an index value over 1024 bytes where they are looked up', async () => {
      const over = 'x'.repeat(1025);
      expect((await refusal(n.invalidateTags([over]))).message).toMatch(/tags\[0\] is 1025 bytes/);
      expect((await refusal(n.keysByIndex('by', over))).code).toBe('E_CACHE_INVALID_OPTION');
      expect((await refusal(n.keysByIndex(over, 'v'))).code).toBe('E_CACHE_INVALID_OPTION');
    });

    it('refuses a lock that never expires or a wait for one that never ends or outlasts its bounds, naming them, and runs no loader', async () => {
      let calls = 0;
      const load = async (): Promise<number> => ++calls;
      const error = await refusal(n.getOrSet('locked', load, { lock: { ttl: Infinity } }));
      expect(error.code).toBe('E_CACHE_INVALID_OPTION');
      expect(error.message).toMatch(/lock\.ttl: a lock must expire/);
      const waiting = await refusal(n.getOrSet('locked', load, { lock: { wait: Infinity } }));
      expect(waiting.message).toMatch(/lock\.wait: a wait for a lock must end/);
      // A typo of a unit: an hour's wait would hold the caller (and poll the tier) for an hour.
      const typo = await refusal(n.getOrSet('locked', load, { lock: { ttl: '2h', wait: '1h' } }));
      expect(typo.code).toBe('E_CACHE_INVALID_OPTION');
      expect(typo.message).toMatch(/lock\.wait: "1h" is longer than the longest wait .*\(1m\)/);
      const pastTtl = await refusal(n.getOrSet('locked', load, { lock: { wait: '30s' } }));
      expect(pastTtl.message).toMatch(/lock\.wait: "30s" is longer than options\.lock\.ttl/);
      expect(calls).toBe(0);
    });

    it('refuses a namespace TTL out of range at start', async () => {
      await expect(startCacheApp({ ...options, defaultTtl: 1e16 })).rejects.toThrow(
        /defaultTtl: 10000000000000000 is outside the range of a time to live/,
      );
    });
  });
});

describe('a pathological glob over the bus', () => {
  let redis: RedisServer;
  let first: CacheApp;
  let second: CacheApp;

  beforeAll(async () => {
    redis = await RedisServer.start();
    first = await startCacheApp({ namespaces: ['n'], redis: { url: redis.url } });
    second = await startCacheApp({ namespaces: ['n'], redis: { url: redis.url } });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await redis?.stop();
  });

  it("is matched in linear time by the other instance's memory", async () => {
    await first.ns('n').set(LONG_KEY, 1);
    await first.ns('n').set(`${LONG_KEY}c`, 2);
    // The second instance holds both in memory (once its bus is up, it trusts memory).
    await eventually(async () => {
      expect(await second.ns('n').getMany([LONG_KEY, `${LONG_KEY}c`])).toEqual([1, 2]);
      expect(second.ns('n').stats().entries).toBe(2);
    });
    expect(await first.ns('n').invalidatePattern(PATHOLOGICAL)).toBe(1);
    await eventually(() => expect(second.ns('n').stats().entries).toBe(1));
    expect(await second.ns('n').get(LONG_KEY)).toBe(1);
  });
});
