import { PersistenceLevel, type NamespaceCache } from 'nest-tiered-cache';
import { advanceDate } from './servers/advance-date';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

const TTL = 60_000;
const failing = (): never => {
  throw new Error('source down');
};

/** Each removal of a key set with itself as its tag, and what it answers when nothing held it. */
const REMOVALS = [
  ['delete', (ns: NamespaceCache<number>, key: string) => ns.delete(key), false],
  ['invalidateTags', (ns: NamespaceCache<number>, key: string) => ns.invalidateTags([key]), 0],
  [
    'invalidatePattern',
    (ns: NamespaceCache<number>, key: string) => ns.invalidatePattern(`${key}*`),
    0,
  ],
] as const;

/*
 * Past its TTL an entry is absent for everything but getOrSet's grace fallback, on every tier:
 * index listings leave it out, and a removal does not count it as held, yet still removes it, so
 * getOrSet has nothing to fall back on afterwards.
 */
describe('an entry past its TTL, within grace, on every tier', () => {
  let server: RedisServer;
  let database: PostgresDatabase;
  let cache: CacheApp;
  let run = 0;
  let key = '';

  beforeAll(async () => {
    server = await RedisServer.start();
    database = await PostgresDatabase.create();
    cache = await startCacheApp({
      prefix: 'grace',
      redis: { url: server.url },
      persistence: { dataSource: { type: 'postgres', url: database.url } },
      namespaces: [
        { name: 'memory', tiers: ['memory'], grace: '1h' },
        { name: 'memory-redis', tiers: ['memory', 'redis'], grace: '1h' },
        { name: 'redis', tiers: ['redis'], grace: '1h' },
        { name: 'postgres', tiers: ['postgres'], grace: '1h' },
        {
          name: 'persisted',
          tiers: ['memory', 'redis'],
          grace: '1h',
          persistence: PersistenceLevel.ON_CHANGE,
        },
      ],
    });
  });
  afterAll(async () => {
    await cache.close();
    await server.stop();
    await database.drop();
  });
  beforeEach(() => {
    key = `k${++run}`;
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe.each(['memory', 'memory-redis', 'redis', 'postgres'])('namespace %s', (name) => {
    it('is left out of keysByIndex and getByIndex', async () => {
      const ns = cache.ns<{ id: number }>(name);
      const owner = `owner-${key}`;
      await ns.set(`${key}:expired`, { id: 1 }, { ttl: TTL, indexes: { owner } });
      await ns.set(`${key}:live`, { id: 2 }, { ttl: 2 * TTL, indexes: { owner } });
      advanceDate(TTL + 1000);
      expect(await ns.get(`${key}:expired`)).toBeUndefined();
      expect(await ns.keysByIndex('owner', owner)).toEqual([`${key}:live`]);
      expect(await ns.getByIndex('owner', owner)).toEqual([{ id: 2 }]);
    });

    it('is still served by getOrSet when its loader fails and nothing removed it', async () => {
      const ns = cache.ns<number>(name);
      await ns.set(key, 1, { ttl: TTL });
      advanceDate(TTL + 1000);
      expect(await ns.has(key)).toBe(false);
      expect(await ns.getOrSet(key, failing)).toBe(1);
    });

    it.each(REMOVALS)(
      'is removed by %s without being counted as held',
      async (_operation, remove, nothingHeld) => {
        const ns = cache.ns<number>(name);
        await ns.set(key, 1, { ttl: TTL, tags: [key] });
        advanceDate(TTL + 1000);
        expect(await remove(ns, key)).toBe(nothingHeld);
        await expect(ns.getOrSet(key, failing)).rejects.toThrow('source down');
      },
    );

    it('is removed by clear without being counted', async () => {
      const ns = cache.ns<number>(name);
      await ns.clear();
      await ns.set(`${key}:expired`, 1, { ttl: TTL, tags: [key], indexes: { owner: key } });
      await ns.set(`${key}:live`, 2, { ttl: 2 * TTL, tags: [key], indexes: { owner: key } });
      advanceDate(TTL + 1000);
      expect(await ns.clear()).toBe(1);
      await expect(ns.getOrSet(`${key}:expired`, failing)).rejects.toThrow('source down');
      expect(await ns.clear()).toBe(0);
    });
  });

  it.each(REMOVALS)(
    '%s removes its row from the table too, so a warm start cannot bring it back',
    async (_operation, remove, nothingHeld) => {
      const ns = cache.ns<number>('persisted');
      await ns.set(key, 1, { ttl: TTL, tags: [key] });
      const rows = (): Promise<unknown[]> =>
        database.query("SELECT key FROM cache_storage WHERE namespace = 'persisted' AND key = $1", [
          key,
        ]);
      expect(await rows()).toHaveLength(1);
      advanceDate(TTL + 1000);
      expect(await remove(ns, key)).toBe(nothingHeld);
      expect(await rows()).toEqual([]);
    },
  );
});
