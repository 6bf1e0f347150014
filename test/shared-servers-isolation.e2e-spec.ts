import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistenceLevel, type CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/** Text that means something to a glob, Redis, LIKE, SQL, JSON, a log line or case folding. */
const HOSTILE = ['*', '?', '[a]', '{x}', '}', '\\', ':', '%', '_', 'a%b', 'a_b', '\\%', "'", '"']
  .concat(['a\nb', 'ß', 'SS', 'İ', 'i̇', 'é', 'e\u0301', '🚀', 'k', 'K'])
  .concat([`${'x'.repeat(1000)}*`]);
/** Globs an attacker in one application might send, each meant to reach further. */
const GLOBS = ['*', '\\*', '%', '_', '[a]', '?', '{x}*', '*}', '\\%', '*\\_*'];

/** Namespace `name` on memory over Redis (persisted ON_CHANGE) and `name-pg` on the table. */
function options(prefix: string, name: string, redis: string, database: string) {
  return {
    prefix,
    redis: { url: redis },
    namespaces: [
      { name, persistence: PersistenceLevel.ON_CHANGE },
      { name: `${name}-pg`, tiers: ['memory', 'postgres'] },
    ],
    persistence: { dataSource: { type: 'postgres', url: database } },
  } as CacheModuleOptions;
}

describe('applications and namespaces sharing servers', () => {
  it('no glob, tag, index or clear of one reaches another, even with hostile names', async () => {
    const redis = await RedisServer.start();
    const database = await PostgresDatabase.create();
    const apps: CacheApp[] = [];
    const start = async (prefix: string, name: string): Promise<CacheApp> => {
      const app = await startCacheApp(options(prefix, name, redis.url, database.url));
      apps.push(app);
      return app;
    };
    try {
      const attacker = await start('app_', 'n');
      // Prefixes its `_` would match as a LIKE wildcard, that it starts, that differ by case,
      // and another namespace of its own prefix.
      const victims: Array<[CacheApp, string]> = [
        [await start('appx', 'n'), 'n'],
        [await start('app', 'n'), 'n'],
        [await start('App_', 'n'), 'n'],
        [await start('app_', 'm'), 'm'],
      ];
      const spaces = (app: CacheApp, name: string) => [app.ns(name), app.ns(`${name}-pg`)];
      for (const [app, name] of [[attacker, 'n'], ...victims] as Array<[CacheApp, string]>) {
        for (const ns of spaces(app, name)) {
          for (const key of HOSTILE) {
            await ns.set(key, `kept ${key}`, { tags: [key, '*'], indexes: { [key]: key, i: '%' } });
          }
        }
      }
      for (const ns of spaces(attacker, 'n')) {
        for (const glob of GLOBS) await ns.invalidatePattern(glob);
        await ns.invalidateTags(HOSTILE);
        expect(await ns.keysByIndex('i', '%')).toEqual([]);
        await ns.clear();
      }
      await attacker.service.clearAll();

      for (const [app, name] of victims) {
        for (const ns of spaces(app, name)) {
          expect(await ns.getMany(HOSTILE)).toEqual(HOSTILE.map((key) => `kept ${key}`));
          expect((await ns.keysByIndex('i', '%')).sort()).toEqual([...HOSTILE].sort());
        }
      }
    } finally {
      for (const app of apps) await app.close();
      await redis.stop();
      await database.drop();
    }
  }, 60_000);

  it("an application never clears another's rows in one embedded store file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shared-store-'));
    const start = (prefix: string): Promise<CacheApp> =>
      startCacheApp({
        prefix,
        namespaces: [{ name: 'n', persistence: PersistenceLevel.ON_CHANGE }],
        persistence: {
          dataSource: { type: 'sqljs', location: join(dir, 's.sqlite'), autoSave: true },
        },
      });
    try {
      const owner = await start('appx');
      for (const key of HOSTILE) await owner.ns('n').set(key, `kept ${key}`, { tags: [key] });
      await owner.close();
      // The file has one holder at a time: the other application comes after.
      const other = await start('app_');
      for (const key of HOSTILE) await other.ns('n').set(key, 'other', { tags: [key] });
      for (const glob of GLOBS) await other.ns('n').invalidatePattern(glob);
      await other.ns('n').invalidateTags(HOSTILE);
      await other.ns('n').clear();
      await other.close();

      const again = await start('appx');
      expect(await again.ns('n').getMany(HOSTILE)).toEqual(HOSTILE.map((key) => `kept ${key}`));
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
