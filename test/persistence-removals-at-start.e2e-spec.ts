import { PersistenceLevel, type CacheErrorEvent } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { startDatabaseProxy } from './servers/database-proxy';
import { PostgresDatabase } from './servers/postgres-database';
import type { TcpProxy } from './servers/tcp-proxy';

/**
 * An app whose database does not answer at start still owes the table its removals: rows an
 * earlier run wrote are there, and the next warm start would load them. Each removal waits (by
 * rule whole, by key as a pending delete) and the first flush once the database answers applies
 * it; an app that closes first reports them discarded. The database goes away for real: the
 * second app reaches it through a proxy that refuses connections until it is opened.
 */
describe('removals made before the store could open', () => {
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  /** The database through `proxy`. */
  let url: string;
  const apps: CacheApp[] = [];

  beforeEach(async () => {
    database = await PostgresDatabase.create();
    ({ proxy, url } = await startDatabaseProxy(database));
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await proxy.cut();
    await database.drop();
  });

  const start = async (through: string): Promise<CacheApp> => {
    const app = await startCacheApp({
      namespaces: [
        { name: 'users', persistence: PersistenceLevel.ON_CHANGE },
        { name: 'posts', persistence: PersistenceLevel.ON_CHANGE },
      ],
      persistence: { dataSource: { type: 'postgres', url: through, connectTimeoutMS: 500 } },
    });
    apps.push(app);
    return app;
  };
  const close = async (app: CacheApp): Promise<void> => {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  };
  const keys = async (): Promise<string[]> =>
    (
      await database.query<{ key: string }>(
        'SELECT namespace || $1 || key AS key FROM cache_storage ORDER BY 1',
        [':'],
      )
    ).map((row) => row.key);

  /** An earlier run's rows: every removal below takes some, `users:keep` stays. */
  const writeEarlierRun = async (): Promise<void> => {
    const earlier = await start(database.url);
    const users = earlier.ns('users');
    await users.set('user:1', 1);
    await users.set('user:2', 2, { tags: ['t'] });
    await users.set('user:3', 3);
    await users.set('keep', 0);
    await earlier.ns('posts').set('post:1', 1);
    await close(earlier);
  };
  /** Removes, in an app that never reached the database, what `writeEarlierRun` wrote. */
  const removeEverythingButKeep = async (app: CacheApp): Promise<void> => {
    const users = app.ns('users');
    await users.delete('user:1');
    await users.invalidateTags(['t']);
    await users.invalidatePattern('user:3*');
    await app.ns('posts').clear();
  };

  it('applies them once the database answers, so the next warm start loads none of their rows', async () => {
    await writeEarlierRun();
    await proxy.cut();
    const second = await start(url);
    await removeEverythingButKeep(second);
    expect(second.service.info().backends.persistence).toMatchObject({ dirty: 4 });

    await proxy.open();
    await second.service.flush();
    expect(await keys()).toEqual(['users:keep']);
    await close(second);

    const third = await start(database.url);
    expect(await third.ns('users').get('keep')).toBe(0);
    for (const key of ['user:1', 'user:2', 'user:3'])
      expect(await third.ns('users').get(key)).toBeUndefined();
    expect(await third.ns('posts').get('post:1')).toBeUndefined();
  }, 30_000);

  it('reports them discarded when the app closes before the database answers', async () => {
    await writeEarlierRun();
    await proxy.cut();
    const second = await start(url);
    const errors: Record<string, CacheErrorEvent[]> = { users: [], posts: [] };
    for (const name of ['users', 'posts'])
      second.ns(name).on('error', (event) => errors[name].push(event));
    await removeEverythingButKeep(second);
    await close(second);

    const closing = (name: string): string[] =>
      errors[name]
        .filter(({ operation }) => operation === 'close')
        .map(({ error }) => error.message);
    expect(closing('users')).toEqual([
      expect.stringContaining('3 removal(s) of namespace "users" never reached the table'),
    ]);
    expect(closing('posts')).toEqual([
      expect.stringContaining('1 removal(s) of namespace "posts" never reached the table'),
    ]);
    expect(await keys()).toEqual([
      'posts:post:1',
      'users:keep',
      'users:user:1',
      'users:user:2',
      'users:user:3',
    ]);
  }, 30_000);
});
