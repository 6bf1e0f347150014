import { DataSource } from 'typeorm';
import { PersistenceLevel, type CacheErrorEvent } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { startDatabaseProxy } from './servers/database-proxy';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import type { TcpProxy } from './servers/tcp-proxy';

/**
 * A durable store that stops answering (frozen: connections accepted, no replies) or goes away
 * (cut) degrades persistence but never holds a caller or shutdown: each call settles within
 * `postgresCommandTimeout` (a call that would hang fails these tests by their jest timeout), the
 * fault is reported, and what could not be written is written once the database answers.
 */
describe('persistence while PostgreSQL is frozen or gone', () => {
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  /** The database through `proxy`. */
  let url: string;
  let app: CacheApp | undefined;
  const codes = (events: CacheErrorEvent[]): string[] =>
    events.map(({ operation, error }) => `${operation}:${(error as { code?: string }).code}`);

  beforeEach(async () => {
    database = await PostgresDatabase.create();
    ({ proxy, url } = await startDatabaseProxy(database));
  });
  afterEach(async () => {
    proxy.thaw();
    await app?.close();
    app = undefined;
    await proxy.cut();
    await database.drop();
  });

  const start = async (): Promise<CacheApp> => {
    app = await startCacheApp({
      namespaces: [
        { name: 'a', persistence: PersistenceLevel.ON_CHANGE },
        { name: 'b', persistence: PersistenceLevel.ON_CHANGE },
        { name: 'members', persistence: PersistenceLevel.PERIODIC },
        { name: 'info', persistence: PersistenceLevel.ON_SHUTDOWN },
      ],
      persistence: {
        dataSource: { type: 'postgres', url, connectTimeoutMS: 500 },
        flushInterval: '100ms',
      },
    });
    return app;
  };
  const keys = async (): Promise<string[]> =>
    (
      await database.query<{ key: string }>(
        'SELECT namespace || $1 || key AS key FROM cache_storage ORDER BY 1',
        [':'],
      )
    ).map((row) => row.key);

  it('settles persisted writes and deletes while frozen, reports them, and writes them once thawed', async () => {
    const { ns, service } = await start();
    const errors: CacheErrorEvent[] = [];
    for (const name of ['a', 'b']) ns(name).on('error', (event) => errors.push(event));
    await ns('a').set('gone', 'persisted');
    expect(await keys()).toEqual(['a:gone']);

    proxy.freeze();
    const settled = await Promise.allSettled([
      ns('a').set('x', 1),
      ns('b').set('y', 2),
      ns('a').delete('gone'),
    ]);
    expect(settled.map(({ status }) => status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    // The cache answers from memory meanwhile.
    expect(await ns('a').get('x')).toBe(1);
    expect(await ns('a').get('gone')).toBeUndefined();
    // Each call reports its fault: the first statement ran out of time, the ones behind it failed
    // at once (the database had not answered it), and the dirty entries' flushes fail too.
    const calls = codes(errors).filter((code) => !code.startsWith('flush:'));
    expect(calls.map((code) => code.split(':')[0]).sort()).toEqual([
      'persist',
      'persist',
      'unpersist',
    ]);
    expect(calls).toContain('persist:E_CACHE_TIMEOUT');
    for (const code of codes(errors))
      expect(code).toMatch(/:(E_CACHE_TIMEOUT|E_CACHE_UNAVAILABLE)$/);
    const health = await service.health(200);
    expect(health.status).toBe('down');
    expect(health.persistence).toMatchObject({ healthy: false });

    proxy.thaw();
    await eventually(async () => expect(await keys()).toEqual(['a:x', 'b:y']), 15_000);
    await eventually(async () =>
      expect((await service.health(1000)).persistence).toMatchObject({
        healthy: true,
        circuit: 'closed',
        dirty: 0,
      }),
    );
  }, 30_000);

  it('closes the app while the database is frozen', async () => {
    const { ns } = await start();
    await ns('members').set('m', 1);
    await ns('info').set('i', 1);
    proxy.freeze();
    await ns('a').set('x', 1);
    const closing = app!.close();
    app = undefined;
    await expect(closing).resolves.toBeUndefined();
  }, 30_000);

  it('reports failed PERIODIC and ON_SHUTDOWN flushes to their namespaces, and the store in info()', async () => {
    const { ns, service } = await start();
    const failures: Record<string, CacheErrorEvent[]> = { members: [], info: [] };
    for (const name of ['members', 'info'])
      ns(name).on('error', (event) => failures[name].push(event));
    await ns('members').set('m0', 0);
    await eventually(() =>
      expect(service.info().backends.persistence).toMatchObject({
        healthy: true,
        dirty: 0,
        circuit: 'closed',
        lastFlushAt: expect.any(String),
      }),
    );

    await proxy.cut();
    await ns('members').set('m1', 1);
    await ns('info').set('i1', 1);
    // The timer's flush fails: the namespace hears of it.
    await eventually(() => expect(failures.members.length).toBeGreaterThan(0), 15_000);
    expect(failures.members[0].operation).toBe('flush');
    expect(ns('members').stats().errors).toBeGreaterThan(0);
    // An explicit flush fails too, and ON_SHUTDOWN's namespace hears of it.
    await expect(service.flush()).rejects.toThrow();
    expect(failures.info.map(({ operation }) => operation)).toContain('flush');
    expect(ns('info').stats().errors).toBeGreaterThan(0);
    expect(service.info().backends.persistence).toMatchObject({ healthy: false, dirty: 2 });
    expect((await service.health(500)).persistence.healthy).toBe(false);

    await proxy.open();
    await service.flush().catch(() => undefined);
    await eventually(async () => {
      await service.flush();
      expect(await keys()).toEqual(['info:i1', 'members:m0', 'members:m1']);
    }, 15_000);
    expect((await service.health(1000)).status).toBe('up');
  }, 40_000);

  it('starts while the database is frozen, and writes what waited once it answers', async () => {
    proxy.freeze();
    // No connectTimeoutMS: the driver itself would wait for the frozen server forever. No bus:
    // its own connection waits for its connect timeout, which is not the store's to bound.
    app = await startCacheApp({
      namespaces: [{ name: 'a', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: { dataSource: { type: 'postgres', url } },
      bus: false,
    });
    expect(app.service.info().backends.persistence.healthy).toBe(false);
    await app.ns('a').set('x', 1);
    expect(await app.ns('a').get('x')).toBe(1);
    proxy.thaw();
    await eventually(async () => {
      await app!.service.flush();
      expect(await keys()).toEqual(['a:x']);
    }, 15_000);
  }, 30_000);

  it("starts while the app's own DataSource is frozen, its warm load bounded", async () => {
    const dataSource = new DataSource({ type: 'postgres', url });
    await dataSource.initialize();
    try {
      proxy.freeze();
      app = await startCacheApp({
        namespaces: [{ name: 'a', persistence: PersistenceLevel.ON_CHANGE }],
        persistence: { dataSource, migrate: false },
        bus: false,
      });
      expect(app.service.info().backends.persistence.healthy).toBe(false);
      expect(await app.ns('a').get('x')).toBeUndefined();
      proxy.thaw();
      await app.close();
      app = undefined;
    } finally {
      proxy.thaw();
      await dataSource.destroy();
    }
  }, 30_000);
});
