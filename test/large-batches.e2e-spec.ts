import type { CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';
import { startDatabaseProxy } from './servers/database-proxy';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/** A shared tier to start, with a batch larger than it answers within one commandTimeout. */
type SharedTier = [
  string,
  number,
  () => Promise<[CacheModuleOptions, slow: () => void, stop: () => Promise<void>]>,
];

const sharedTiers: SharedTier[] = [
  [
    'the PostgreSQL tier, each statement 10 ms away',
    4_000,
    async () => {
      const database = await PostgresDatabase.create();
      const { proxy, url } = await startDatabaseProxy(database);
      const options = {
        namespaces: [{ name: 'n', tiers: ['postgres'] }],
        persistence: { dataSource: { type: 'postgres', url } },
      };
      // Slowed once the app is up: 4,000 statements over the pool's 10 connections, each a round
      // trip of 10 ms, about 4 s in all, twice the statements' timeout (2 s).
      const slow = (): void => void (proxy.delay = 5);
      return [options as CacheModuleOptions, slow, () => proxy.cut().then(() => database.drop())];
    },
  ],
];

/**
 * A batch is sent whole, and its tier answers its calls in turn: the tail waits while the head
 * is answered, and fails only once the tier stops answering.
 */
describe('large batches on a shared tier', () => {
  it.each(sharedTiers)(
    'setMany stores every entry on %s, none lost waiting behind the others',
    async (_tier, count, start) => {
      const [options, slow, stop] = await start();
      const app = await startCacheApp(options);
      try {
        slow();
        const entries = Array.from(
          { length: count },
          (_unused, i) => [`k${i}`, i, { tags: ['bulk'] }] as [string, number, { tags: string[] }],
        );
        await app.ns('n').setMany(entries);
        expect(app.ns('n').stats().errors).toBe(0);
        expect(await app.ns('n').get(`k${count - 1}`)).toBe(count - 1);
        expect(await app.ns('n').invalidateTags(['bulk'])).toBe(count);
      } finally {
        await app.close();
        await stop();
      }
    },
    90_000,
  );

  it('setMany still ends at the timeout when Redis stops answering', async () => {
    const redis = await RedisServer.start();
    const app = await startCacheApp({
      redis: { url: redis.url, commandTimeout: 250, failureThreshold: 1_000_000 },
      namespaces: [{ name: 'n', tiers: ['redis'] }],
    });
    try {
      await app.ns('n').set('before', 1);
      redis.pause();
      const entries = Array.from(
        { length: 1_000 },
        (_unused, i) => [`k${i}`, i] as [string, number],
      );
      // Resolves (the test's own timeout bounds it): every entry failed at its deadline.
      await app.ns('n').setMany(entries);
      expect(app.ns('n').stats().errors).toBe(1_000);
    } finally {
      redis.resume();
      await app.close();
      await redis.stop();
    }
  }, 30_000);
});
