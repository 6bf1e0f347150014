import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistenceLevel, type CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/** More tags than SQLite takes parameters in one statement (32766). */
const TAG_COUNT = 40_000;
const tags = Array.from({ length: TAG_COUNT }, (_unused, i) => `tag-${i}`);

/** Shared tiers a batch write goes to, and what it takes to start each. */
const sharedTiers: Array<
  [string, number, () => Promise<[CacheModuleOptions, () => Promise<void>]>]
> = [
  [
    'Redis',
    30_000,
    async () => {
      const redis = await RedisServer.start();
      const options = { redis: { url: redis.url }, namespaces: [{ name: 'n', tiers: ['redis'] }] };
      return [options as CacheModuleOptions, () => redis.stop()];
    },
  ],
  [
    'the PostgreSQL tier',
    10_000,
    async () => {
      const database = await PostgresDatabase.create();
      const options = {
        namespaces: [{ name: 'n', tiers: ['postgres'] }],
        persistence: { dataSource: { type: 'postgres', url: database.url } },
      };
      return [options as CacheModuleOptions, () => database.drop()];
    },
  ],
];

/** Inputs far past the usual sizes: each is handled whole, and nothing stored is lost or kept. */
describe('huge inputs', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'huge-inputs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the rows of an invalidation of 40k tags from the embedded store', async () => {
    const options = {
      namespaces: [{ name: 'rows', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: {
        dataSource: { type: 'sqljs' as const, location: join(dir, 'store.sqlite'), autoSave: true },
      },
    };
    const first = await startCacheApp(options);
    await first.ns('rows').set('tagged', 'v', { tags });
    await first.ns('rows').set('kept', 'v', { tags: ['other'] });
    expect(await first.ns('rows').invalidateTags(tags)).toBe(1);
    await first.close();

    // The next start loads what the file holds: an invalidated row would be served again.
    const second = await startCacheApp(options);
    try {
      expect(await second.ns('rows').get('tagged')).toBeUndefined();
      expect(await second.ns('rows').get('kept')).toBe('v');
    } finally {
      await second.close();
    }
  }, 30_000);

  it.each(sharedTiers)(
    'stores every entry of one large setMany on %s, none lost to its own queue',
    async (_tier, count, start) => {
      const [options, stop] = await start();
      const app = await startCacheApp(options);
      try {
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
    60_000,
  );
});
