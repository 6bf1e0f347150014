import {
  PersistenceLevel,
  type CacheModuleOptions,
  type NamespaceCache,
  type TierKind,
} from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';
import { lockRow, waitingForLock } from './servers/row-lock';

/** The table matches the cache: after any race of writes and removals, the rows are what the cache holds. */
describe('persistence follows the order of the cache', () => {
  let database: PostgresDatabase;
  let redis: RedisServer;
  const apps: CacheApp[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis.stop());
  beforeEach(async () => {
    database = await PostgresDatabase.create();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    await database.drop();
  });

  const start = async (
    tiers: TierKind[],
    persistence: PersistenceLevel,
    extra: { maxEntries?: number } = {},
  ): Promise<CacheApp> => {
    const options: CacheModuleOptions = {
      prefix: `p${apps.length}${Date.now()}`,
      ...(tiers.includes('redis') && { redis: { url: redis.url } }),
      namespaces: [{ name: 'ns', tiers, persistence, ...extra }],
      persistence: {
        dataSource: { type: 'postgres', url: database.url },
        flushInterval: '5ms',
        loadOnStartup: false,
      },
    };
    const app = await startCacheApp(options);
    apps.push(app);
    return app;
  };
  const rows = async (): Promise<Record<string, unknown>> => {
    const found = await database.query<{ key: string; value: unknown }>(
      "SELECT key, value FROM cache_storage WHERE namespace = 'ns'",
    );
    return Object.fromEntries(found.map((row) => [row.key, row.value]));
  };
  /** What the cache holds for `keys`, read before the app closes. */
  const held = async (ns: NamespaceCache, keys: string[]): Promise<Record<string, unknown>> => {
    const entries: Array<[string, unknown]> = [];
    for (const key of keys) {
      const value = await ns.get(key);
      if (value !== undefined) entries.push([key, value]);
    }
    return Object.fromEntries(entries);
  };
  /** Closes the app (the shutdown flush), then reads the table. */
  const closeAndRead = async (app: CacheApp): Promise<Record<string, unknown>> => {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
    return rows();
  };

  describe.each<[string, TierKind[]]>([
    ['memory', ['memory']],
    ['memory+redis', ['memory', 'redis']],
  ])('setMany overtaken by a delete (%s)', (_label, tiers) => {
    it.each([PersistenceLevel.ON_CHANGE, PersistenceLevel.PERIODIC])(
      'keeps no row of an entry deleted while setMany ran (%s)',
      async (level) => {
        const app = await start(tiers, level);
        const ns = app.ns('ns');
        await Promise.all([
          ns.setMany([
            ['a', 1],
            ['b', 2],
          ]),
          ns.delete('b'),
        ]);
        const many = Array.from({ length: 300 }, (_, i) => [`s${i}`, i] as [string, number]);
        await Promise.all([ns.setMany(many), ns.delete('s299'), ns.delete('s150')]);
        const keys = ['a', 'b', ...many.map(([key]) => key)];
        const cache = await held(ns, keys);
        expect(cache).toMatchObject({ a: 1 });
        expect(cache).not.toHaveProperty('b');
        expect(cache).not.toHaveProperty('s299');
        expect(await closeAndRead(app)).toEqual(cache);
      },
    );
  });

  it.each<[string, TierKind[], PersistenceLevel]>([
    ['memory+redis', ['memory', 'redis'], PersistenceLevel.PERIODIC],
    ['redis', ['redis'], PersistenceLevel.ON_SHUTDOWN],
    ['memory', ['memory'], PersistenceLevel.ON_SHUTDOWN],
  ])(
    'keeps a write made beside an earlier delete of its key (%s, %s)',
    async (_label, tiers, level) => {
      const app = await start(tiers, level);
      const ns = app.ns('ns');
      await ns.set('k', 1);
      await app.service.flush();
      expect(await rows()).toEqual({ k: 1 });
      await Promise.all([ns.delete('k'), ns.set('k', 2)]);
      await app.service.flush();
      expect(await ns.get('k')).toBe(2);
      expect(await rows()).toEqual({ k: 2 });
    },
  );

  it('writes back no entry a later delete took while an earlier delete of it was running', async () => {
    const app = await start(['memory'], PersistenceLevel.ON_SHUTDOWN);
    const ns = app.ns<number>('ns');
    await ns.set('x', 0);
    await ns.set('k', 1);
    await app.service.flush();
    const x = await lockRow(database, 'x');
    const k = await lockRow(database, 'k');
    // The delete of x waits for its row; the delete of k waits behind it, watching what follows.
    const first = ns.delete('x');
    await waitingForLock(database);
    const earlier = ns.delete('k');
    const written = ns.set('k', 2);
    await x.release();
    // Once x is gone, the delete of k waits for its row: it runs, its write-back still to come.
    await eventually(async () => expect(await rows()).not.toHaveProperty('x'));
    await waitingForLock(database);
    const later = ns.delete('k');
    await k.release();
    await Promise.all([first, earlier, written, later]);
    expect(await held(ns, ['x', 'k'])).toEqual({});
    expect(await closeAndRead(app)).toEqual({});
  });

  it('writes back an untagged write of a key a tag removal took from memory (memory, PERIODIC)', async () => {
    const app = await start(['memory'], PersistenceLevel.PERIODIC);
    const ns = app.ns<number>('ns');
    await ns.set('x', 0);
    await ns.set('k', 1, { tags: ['t'] });
    await app.service.flush();
    const x = await lockRow(database, 'x');
    const first = ns.delete('x');
    await waitingForLock(database);
    // Queued before the removal, the flush writes the newer k; the removal then takes its row.
    const flushed = app.service.flush();
    const removed = ns.invalidateTags(['t']);
    const written = ns.setMany([['k', 2]]);
    await x.release();
    await Promise.all([first, flushed, removed, written]);
    expect(await held(ns, ['x', 'k'])).toEqual({ k: 2 });
    expect(await closeAndRead(app)).toEqual({ k: 2 });
  });

  /** A small PRNG with a seed, so a failing run can be replayed. */
  const random = (seed: number): (() => number) => {
    let state = seed >>> 0;
    return () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  };

  describe.each<[string, TierKind[]]>([
    ['memory', ['memory']],
    ['memory+redis', ['memory', 'redis']],
    ['redis', ['redis']],
  ])('random races (%s)', (_label, tiers) => {
    it.each([PersistenceLevel.ON_CHANGE, PersistenceLevel.PERIODIC, PersistenceLevel.ON_SHUTDOWN])(
      'ends with the table holding exactly what the cache holds (%s)',
      async (level) => {
        const app = await start(tiers, level);
        const ns = app.ns<number>('ns');
        const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
        // RACE_SEED replays a failed run's operations (their timing is the machine's own).
        const seed = Number(process.env.RACE_SEED) || Date.now();
        const next = random(seed);
        const pick = (): string => keys[Math.floor(next() * keys.length)];
        let value = 0;
        for (let round = 0; round < 40; round++) {
          const burst: Array<Promise<unknown>> = [];
          for (let i = 0; i < 6; i++) {
            const roll = next();
            const key = pick();
            if (roll < 0.35) burst.push(ns.set(key, ++value, { tags: [`t${key.length}`] }));
            else if (roll < 0.55) burst.push(ns.delete(key));
            else if (roll < 0.7)
              burst.push(
                ns.setMany([
                  [key, ++value],
                  [pick(), ++value],
                ]),
              );
            else if (roll < 0.8) burst.push(ns.invalidatePattern(`${key}*`));
            else if (roll < 0.85) burst.push(ns.invalidateTags(['t2']));
            else if (roll < 0.9) burst.push(app.service.flush().catch(() => undefined));
            else burst.push(ns.increment(`c${key}`));
          }
          await Promise.all(burst);
        }
        const all = [...keys, ...keys.map((key) => `c${key}`)];
        const cache = await held(ns, all);
        const table = await closeAndRead(app);
        try {
          expect(table).toEqual(cache);
        } catch (error) {
          (error as Error).message = `RACE_SEED=${seed}\n${(error as Error).message}`;
          throw error;
        }
      },
      30_000,
    );
  });

  describe('entries waiting for a flush are bounded by what memory holds', () => {
    it('drops the waiting entries memory evicts, expires or deletes (ON_SHUTDOWN, maxEntries)', async () => {
      const app = await start(['memory'], PersistenceLevel.ON_SHUTDOWN, { maxEntries: 100 });
      const ns = app.ns<number>('ns');
      for (let i = 0; i < 20_000; i++) await ns.set(`e${i}`, i);
      const dirty = (): number => app.service.info().backends.persistence.dirty;
      // Each eviction reaches persistence in its turn, just after the write that caused it.
      await eventually(() => expect(dirty()).toBe(100));
      await ns.set('short', 1, { ttl: 1000 });
      await eventually(() => expect(dirty()).toBe(100));
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 2000);
      try {
        expect(await ns.get('short')).toBeUndefined();
      } finally {
        clock.mockRestore();
      }
      await eventually(() => expect(dirty()).toBe(99));
      await ns.delete('e19999');
      expect(dirty()).toBe(98);
      const table = await closeAndRead(app);
      expect(Object.keys(table)).toHaveLength(98);
      expect(table).toMatchObject({ e19901: 19901, e19998: 19998 });
      expect(table).not.toHaveProperty('e19900');
    }, 60_000);

    it('keeps the waiting entries Redis still holds when memory evicts them', async () => {
      const app = await start(['memory', 'redis'], PersistenceLevel.ON_SHUTDOWN, {
        maxEntries: 10,
      });
      const ns = app.ns<number>('ns');
      for (let i = 0; i < 50; i++) await ns.set(`e${i}`, i);
      expect(app.service.info().backends.persistence.dirty).toBe(50);
      expect(Object.keys(await closeAndRead(app))).toHaveLength(50);
    });
  });
});
