import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { PersistenceLevel, type CacheModuleOptions, type NamespaceCache } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const WORKERS = 8;
const KEYS = 1000;

/** Keys by Zipf's law (s = 1): a few are hot, most are cold. */
function zipf(count: number): () => string {
  const weights = Array.from({ length: count }, (_, rank) => 1 / (rank + 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let running = 0;
  const cumulative = weights.map((weight) => (running += weight / total));
  return () => {
    const draw = Math.random();
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < draw) low = middle + 1;
      else high = middle;
    }
    return `k${low}`;
  };
}

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe(`soak: ${SECONDS} s of mixed traffic on two instances, Redis killed midway`, () => {
  it(
    'raises no error, leaks nothing, and ends coherent and persisted',
    async () => {
      const redis = await RedisServer.start();
      const database = await PostgresDatabase.create();
      const options: CacheModuleOptions = {
        prefix: 'soak',
        redis: { url: redis.url, commandTimeout: '300ms', retryAfter: '200ms' },
        namespaces: [
          { name: 'hot', persistence: PersistenceLevel.ON_CHANGE, ttl: '1h' },
          { name: 'warm', persistence: PersistenceLevel.PERIODIC, ttl: '1h' },
        ],
        persistence: {
          dataSource: { type: 'postgres', url: database.url },
          flushInterval: '500ms',
        },
      };
      const apps: CacheApp[] = [await startCacheApp(options), await startCacheApp(options)];
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const gc = forceGc();
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const failures: unknown[] = [];
      const key = zipf(KEYS);
      const deadline = Date.now() + SECONDS * 1000;
      let operations = 0;

      const worker = async (index: number): Promise<void> => {
        while (Date.now() < deadline) {
          const app = apps[(index + operations) % 2];
          const namespace: NamespaceCache<unknown> = app.ns(operations % 3 === 0 ? 'warm' : 'hot');
          const draw = Math.random();
          try {
            if (draw < 0.8) await namespace.get(key());
            else if (draw < 0.95)
              await namespace.set(
                key(),
                { by: index, at: new Date(), n: operations },
                { tags: [`t${operations % 10}`] },
              );
            else if (draw < 0.98) await namespace.delete(key());
            else if (draw < 0.99) await namespace.invalidateTags([`t${operations % 10}`]);
            else await namespace.invalidatePattern(`${key()}*`);
          } catch (error) {
            failures.push(error);
          }
          operations++;
          // Let timers and sockets breathe between bursts.
          if (operations % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      };

      const outage = (async () => {
        await new Promise((resolve) => setTimeout(resolve, (SECONDS * 1000) / 3));
        await redis.kill();
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await redis.restart();
      })();
      await Promise.all([...Array.from({ length: WORKERS }, (_, i) => worker(i)), outage]);

      try {
        expect(failures).toEqual([]);
        expect(operations).toBeGreaterThan(SECONDS * 100);
        // Back together: both instances see Redis, buses connected, circuits closed.
        await eventually(() => {
          for (const app of apps)
            expect(app.service.info().backends.redis).toMatchObject({
              healthy: true,
              bus: { connected: true },
            });
        }, 15_000);
        for (const name of ['hot', 'warm']) {
          await eventually(async () => {
            for (let i = 0; i < KEYS; i++) {
              expect(await apps[0].ns(name).get(`k${i}`)).toEqual(
                await apps[1].ns(name).get(`k${i}`),
              );
            }
          }, 10_000);
        }
        // Every ON_CHANGE entry the cache holds has its row.
        const rows = new Set(
          (
            await database.query<{ key: string }>(
              "SELECT key FROM cache_storage WHERE namespace = 'hot'",
            )
          ).map((row) => row.key),
        );
        for (let i = 0; i < KEYS; i++) {
          if ((await apps[0].ns('hot').get(`k${i}`)) !== undefined)
            expect(rows.has(`k${i}`)).toBe(true);
        }
        expect(unhandled).toEqual([]);
        gc();
        const grown = process.memoryUsage().heapUsed - heapBefore;
        expect(grown).toBeLessThan(64 * 1024 * 1024);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        for (const app of apps) await app.close();
        await redis.stop();
        await database.drop();
      }
    },
    (SECONDS + 90) * 1000,
  );
});
