import { PersistenceLevel, type CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { startDatabaseProxy } from './servers/database-proxy';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';
import type { TcpProxy } from './servers/tcp-proxy';

/**
 * Two instances share Redis and the `cache_storage` table. A's link to the database is held (a
 * frozen proxy) while its ON_CHANGE write or delete reaches Redis; B then changes the key, in
 * Redis and the table; A's held statement lands last. The table must end as Redis holds the key, so
 * a warm start, or a reader of the table alone, never serves what was deleted or overwritten.
 */
describe('the table follows Redis across instances', () => {
  let redis: RedisServer;
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  const apps: CacheApp[] = [];
  let prefix: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis.stop());
  beforeEach(async () => {
    database = await PostgresDatabase.create();
    prefix = `across${Date.now()}`;
  });
  afterEach(async () => {
    proxy?.thaw();
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    await proxy?.cut();
    await database.drop();
  });

  const start = async (url: string, withRedis = true): Promise<CacheApp> => {
    const options: CacheModuleOptions = {
      prefix,
      ...(withRedis && { redis: { url: redis.url } }),
      namespaces: [{ name: 'shared', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: { dataSource: { type: 'postgres', url }, flushInterval: '100ms' },
    };
    const app = await startCacheApp(options);
    apps.push(app);
    return app;
  };
  /** A behind a proxy that can hold its database link, B straight to the database. */
  const twoInstances = async (): Promise<[CacheApp, CacheApp]> => {
    const held = await startDatabaseProxy(database);
    proxy = held.proxy;
    return [await start(held.url), await start(database.url)];
  };
  const rows = (): Promise<Array<{ key: string; value: unknown }>> =>
    database.query('SELECT key, value FROM cache_storage WHERE prefix = $1 ORDER BY key', [prefix]);
  /**
   * Waits until A's held write has landed and its retry (the entry it put back) was written, then
   * until every change A queued since has run (a flush queued behind them).
   */
  const landed = async (a: CacheApp): Promise<void> => {
    proxy.thaw();
    await eventually(
      () =>
        expect(a.service.info().backends.persistence).toMatchObject({ healthy: true, dirty: 0 }),
      15_000,
    );
    await a.service.flush();
  };

  it('does not keep a row another instance deleted while the write was held', async () => {
    const [a, b] = await twoInstances();
    a.ns('shared').on('error', () => undefined);
    proxy.freeze();
    // Resolves once A gave up waiting for the table; the statement stays held in the proxy.
    await a.ns('shared').set('k', 'from A');
    expect(await b.ns('shared').delete('k')).toBe(true);
    expect(await rows()).toEqual([]);

    await landed(a);
    expect(await rows()).toEqual([]);
    expect(await a.ns('shared').get('k')).toBeUndefined();
  }, 40_000);

  it('ends with the value Redis holds when an older write lands last', async () => {
    const [a, b] = await twoInstances();
    a.ns('shared').on('error', () => undefined);
    proxy.freeze();
    await a.ns('shared').set('k', 'older, from A');
    await b.ns('shared').set('k', 'newer, from B');
    expect(await rows()).toEqual([{ key: 'k', value: 'newer, from B' }]);

    await landed(a);
    expect(await rows()).toEqual([{ key: 'k', value: 'newer, from B' }]);
    expect(await a.ns('shared').get('k')).toBe('newer, from B');
    // A reader of the table alone (a warm start without Redis) serves what Redis holds.
    const reader = await start(database.url, false);
    expect(await reader.ns('shared').get('k')).toBe('newer, from B');
  }, 40_000);

  it('writes back a row its held delete took after another instance wrote the key again', async () => {
    const [a, b] = await twoInstances();
    a.ns('shared').on('error', () => undefined);
    await b.ns('shared').set('k', 'first');
    proxy.freeze();
    // Gone from Redis at once; the table's delete stays held in the proxy.
    expect(await a.ns('shared').delete('k')).toBe(true);
    await b.ns('shared').set('k', 'written again, from B');
    expect(await rows()).toEqual([{ key: 'k', value: 'written again, from B' }]);

    await landed(a);
    expect(await rows()).toEqual([{ key: 'k', value: 'written again, from B' }]);
    expect(await a.ns('shared').get('k')).toBe('written again, from B');
  }, 40_000);

  it('writes back a row its slow tag invalidation took after another instance wrote the key again', async () => {
    const [a, b] = await twoInstances();
    await b.ns('shared').set('k', 'first', { tags: ['t'] });
    // A's statements reach the table 300 ms late each way, well within their deadline.
    proxy.delay = 300;
    const invalidation = a.ns('shared').invalidateTags(['t']);
    await eventually(async () => expect(await b.ns('shared').get('k')).toBeUndefined());
    await b.ns('shared').set('k', 'written again, from B', { tags: ['t'] });
    expect(await rows()).toEqual([{ key: 'k', value: 'written again, from B' }]);
    await invalidation;
    proxy.delay = 0;
    await a.service.flush();
    expect(await rows()).toEqual([{ key: 'k', value: 'written again, from B' }]);
  }, 20_000);

  it('keeps rows the instances agree on, written from both sides', async () => {
    const [a, b] = await twoInstances();
    await a.ns('shared').set('a', 1);
    await b.ns('shared').set('b', 2);
    await a.ns('shared').setMany([
      ['c', 3],
      ['d', 4],
    ]);
    await b.ns('shared').delete('c');
    await a.service.flush();
    await b.service.flush();
    expect(await rows()).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      { key: 'd', value: 4 },
    ]);
  }, 20_000);
});
