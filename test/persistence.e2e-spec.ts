import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { InvalidKeyError, PersistenceLevel, type CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { PersistenceManager } from '../libs/cache/src/persistence/persistence-manager';
import type { CacheEntry } from '../libs/cache/src/tiers/cache-entry';
import { PostgresDatabase } from './servers/postgres-database';
import { startDatabaseProxy } from './servers/database-proxy';
import { manualPersistenceOptions } from './servers/manual-persistence-options';
import { freePort } from './servers/free-port';
import { RedisServer } from './servers/redis-server';

interface Row {
  prefix: string;
  namespace: string;
  key: string;
  value: string;
  metadata: string;
  expires_at: unknown;
}

/** A store under test: how the module reaches it, and how a test reads it behind the module's back. */
interface Backing {
  dataSource: () => DataSourceOptions;
  rows: (namespace: string) => Promise<Row[]>;
  exec: (sql: string) => Promise<void>;
  teardown: () => Promise<void>;
}

async function embedded(): Promise<Backing> {
  const dir = mkdtempSync(join(tmpdir(), 'cache-store-'));
  const location = join(dir, 'store.sqlite');
  const options: DataSourceOptions = { type: 'sqljs', location, autoSave: true };
  // A fresh reader each time: sql.js holds a database in memory, loaded from the file.
  const withReader = async <T>(use: (reader: DataSource) => Promise<T>): Promise<T> => {
    const reader = new DataSource({ type: 'sqljs', location, autoSave: true });
    await reader.initialize();
    try {
      return await use(reader);
    } finally {
      await reader.destroy();
    }
  };
  return {
    dataSource: () => options,
    rows: (namespace) =>
      withReader((reader) =>
        reader.query(
          'SELECT prefix, namespace, key, value, metadata, expires_at FROM cache_storage WHERE namespace = ? ORDER BY key, prefix',
          [namespace],
        ),
      ),
    exec: (sql) => withReader(async (reader) => void (await reader.query(sql))),
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgres(): Promise<Backing> {
  const database = await PostgresDatabase.create();
  return {
    dataSource: () => ({ type: 'postgres', url: database.url }),
    rows: (namespace) =>
      database.query<Row>(
        'SELECT prefix, namespace, key, value::text AS value, metadata::text AS metadata, expires_at FROM cache_storage WHERE namespace = $1 ORDER BY key, prefix',
        [namespace],
      ),
    exec: async (sql) => void (await database.query(sql)),
    teardown: () => database.drop(),
  };
}

describe.each([
  ['embedded SQLite', embedded],
  ['PostgreSQL', postgres],
])('persistence levels (%s)', (_label, makeBacking) => {
  let backing: Backing;
  const apps: CacheApp[] = [];
  const start = async (extra: Partial<CacheModuleOptions> = {}): Promise<CacheApp> => {
    const app = await startCacheApp({
      namespaces: [
        { name: 'settings', persistence: PersistenceLevel.ON_CHANGE, ttl: '1h' },
        { name: 'members', persistence: PersistenceLevel.PERIODIC },
        { name: 'info', persistence: PersistenceLevel.ON_SHUTDOWN },
        'volatile',
      ],
      persistence: {
        dataSource: backing.dataSource(),
        flushInterval: '50ms',
        cleanupInterval: '50ms',
      },
      ...extra,
    });
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    backing = await makeBacking();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    await backing.teardown();
  });

  it('writes ON_CHANGE entries before set resolves, and removes their rows on delete and invalidation', async () => {
    const app = await start();
    const settings = app.ns('settings');
    await settings.set(
      'theme',
      { dark: true, since: new Date('2024-01-02T03:04:05Z') },
      { tags: ['ui'] },
    );
    await settings.set('lang', 'en', { tags: ['ui'] });
    const rows = await backing.rows('settings');
    expect(rows.map((row) => row.key)).toEqual(['lang', 'theme']);
    expect(JSON.parse(rows[1].metadata)).toMatchObject({ persistence: 'on_change', tags: ['ui'] });
    expect(await settings.delete('lang')).toBe(true);
    expect((await backing.rows('settings')).map((row) => row.key)).toEqual(['theme']);
    await settings.invalidateTags(['ui']);
    expect(await backing.rows('settings')).toEqual([]);
  });

  it('persists the results of update and increment on change', async () => {
    const app = await start();
    const settings = app.ns<Record<string, unknown>>('settings');
    await settings.set('profile', { name: 'a' });
    await settings.update('profile', { name: 'b' });
    await app.ns('settings').increment('visits', 2);
    const rows = await backing.rows('settings');
    expect(rows.map((row) => [row.key, JSON.parse(row.value)])).toEqual([
      ['profile', { name: 'b' }],
      ['visits', 2],
    ]);
  });

  it('never writes MEMORY_ONLY entries', async () => {
    const app = await start();
    await app.ns('volatile').set('k', 1);
    await app.service.flush();
    expect(await backing.rows('volatile')).toEqual([]);
  });

  it('writes PERIODIC entries within a few flush intervals', async () => {
    const app = await start();
    await app.ns('members').set('chat1:user1', { role: 'admin' });
    expect(await backing.rows('members')).toEqual([]);
    await eventually(async () =>
      expect((await backing.rows('members')).map((row) => row.key)).toEqual(['chat1:user1']),
    );
  });

  it('writes ON_SHUTDOWN entries when the app closes, and a second app loads them', async () => {
    const first = await start();
    const when = new Date('2023-05-06T07:08:09.010Z');
    await first.ns('info').set('chat1', { title: 'General', createdAt: when }, { ttl: '1h' });
    await first.ns('info').set('chat2', { title: 'Random', createdAt: when }, { ttl: '1h' });
    expect(await backing.rows('info')).toEqual([]);
    await first.close();
    expect((await backing.rows('info')).map((row) => row.key)).toEqual(['chat1', 'chat2']);
    const second = await start();
    const loaded = await second.ns<{ title: string; createdAt: Date }>('info').get('chat1');
    expect(loaded).toEqual({ title: 'General', createdAt: when });
    expect(loaded?.createdAt).toBeInstanceOf(Date);
    const ttl = await second.ns('info').getTtl('chat2');
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('writes entries set after the shutdown flush before their set resolves', async () => {
    const app = await start({
      persistence: { dataSource: backing.dataSource(), flushInterval: '1h' },
    });
    await app.ns('info').set('before', 1);
    // Nest runs this hook while the HTTP server may still answer requests.
    await app.service.beforeApplicationShutdown();
    expect((await backing.rows('info')).map((row) => row.key)).toEqual(['before']);
    await app.ns('info').set('after', 2);
    await app.ns('members').set('late', 3);
    expect((await backing.rows('info')).map((row) => row.key)).toEqual(['after', 'before']);
    expect((await backing.rows('members')).map((row) => row.key)).toEqual(['late']);
  });

  it('writes waiting entries on flush()', async () => {
    const app = await start({
      persistence: { dataSource: backing.dataSource(), flushInterval: '1h' },
    });
    await app.ns('info').set('a', 1);
    await app.ns('members').set('b', 2);
    expect(await app.service.flush()).toBe(2);
    expect(await backing.rows('info')).toHaveLength(1);
    expect(await backing.rows('members')).toHaveLength(1);
  });

  it('neither loads nor keeps expired rows, and skips a corrupt row', async () => {
    const first = await start();
    await first.ns('settings').set('fresh', 'ok');
    await first.ns('settings').set('short', 'soon gone', { ttl: 50 });
    await first.ns('settings').set('corrupt', 'x');
    await first.close();
    await backing.exec(
      `UPDATE cache_storage SET metadata = '{"nothing": true}' WHERE key = 'corrupt'`,
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    const second = await start();
    expect(await second.ns('settings').get('fresh')).toBe('ok');
    expect(await second.ns('settings').get('short')).toBeUndefined();
    expect(await second.ns('settings').get('corrupt')).toBeUndefined();
    expect(second.ns('settings').stats().errors).toBe(1);
    await eventually(async () =>
      expect((await backing.rows('settings')).map((row) => row.key)).not.toContain('short'),
    );
  });

  it('skips and counts rows whose fields do not fit, on warm load', async () => {
    const first = await start();
    for (const key of ['sound', 'expiry', 'date', 'tags', 'grace', 'never'])
      await first.ns('settings').set(key, { at: new Date(0) });
    await first.close();
    const craft = (set: string, key: string): Promise<void> =>
      backing.exec(`UPDATE cache_storage SET ${set} WHERE key = '${key}'`);
    await craft(`metadata = '{"persistence": "on_change", "expiresAt": "abc"}'`, 'expiry');
    await craft(`value = '{"at": {"$d": "not a date"}}'`, 'date');
    await craft(`metadata = '{"persistence": "on_change", "tags": [{"$ne": 1}]}'`, 'tags');
    await craft(`metadata = '{"persistence": "on_change", "graceUntil": 1e400}'`, 'grace');
    await craft(`expires_at = 'infinity'`, 'never');
    const second = await start();
    const settings = second.ns('settings');
    expect(await settings.get('sound')).toEqual({ at: new Date(0) });
    for (const key of ['expiry', 'date', 'tags', 'grace', 'never'])
      expect(await settings.get(key)).toBeUndefined();
    expect(settings.stats().errors).toBe(5);
  });

  it('skips and counts a row whose key no write accepts, on warm load (a hit checks no key)', async () => {
    const first = await start();
    await first.ns('settings').set('sound', 1);
    await first.ns('settings').set('long', 2);
    await first.close();
    // One byte over the longest key a write accepts (1024 bytes).
    const long = 'k'.repeat(1025);
    await backing.exec(`UPDATE cache_storage SET key = '${long}' WHERE key = 'long'`);
    const second = await start();
    const settings = second.ns('settings');
    expect(await settings.get('sound')).toBe(1);
    await expect(settings.get(long)).rejects.toThrow(InvalidKeyError);
    await expect(settings.getOrSet(long, () => 3)).rejects.toThrow(InvalidKeyError);
    expect(settings.stats().errors).toBe(1);
  });

  it('keeps the rows of two prefixes apart: warm load, removals and cleanup', async () => {
    const keysOf = async (prefix: string): Promise<string[]> =>
      (await backing.rows('settings')).filter((row) => row.prefix === prefix).map((row) => row.key);
    const a = await start({ prefix: 'app-a' });
    await a.ns('settings').set('theme', 'dark-a', { tags: ['ui'] });
    await a.ns('settings').set('user:1', 'a1');
    await a.ns('settings').set('expired', 'a');
    await a.close();
    await backing.exec(
      `UPDATE cache_storage SET expires_at = '2000-01-01T00:00:00.000Z' WHERE key = 'expired'`,
    );
    const b = await start({ prefix: 'app-b' });
    const settings = b.ns('settings');
    expect(await settings.get('theme')).toBeUndefined();
    expect(await settings.get('user:1')).toBeUndefined();
    await settings.set('theme', 'dark-b', { tags: ['ui'] });
    await settings.set('user:1', 'b1');
    expect(await keysOf('app-b')).toEqual(['theme', 'user:1']);
    expect(await settings.invalidateTags(['ui'])).toBe(1);
    expect(await settings.invalidatePattern('user:*')).toBe(1);
    await settings.set('other', 'b');
    await settings.clear();
    expect(await keysOf('app-b')).toEqual([]);
    // The cleanup job of B has run once its own expired row is gone; A's stays for A's.
    await settings.set('short', 'b', { ttl: 50 });
    await eventually(async () => expect(await keysOf('app-b')).toEqual([]));
    expect(await keysOf('app-a')).toEqual(['expired', 'theme', 'user:1']);
    await b.close();
    const again = await start({ prefix: 'app-a' });
    expect(await again.ns('settings').get('theme')).toBe('dark-a');
    expect(await again.ns('settings').get('user:1')).toBe('a1');
    await eventually(async () => expect(await keysOf('app-a')).toEqual(['theme', 'user:1']));
  });

  it('creates the table itself only when migrate allows', async () => {
    const app = await start({ persistence: { dataSource: backing.dataSource(), migrate: false } });
    await app.ns('settings').set('k', 'v');
    expect(app.ns('settings').stats().errors).toBe(1);
    expect(app.service.info().backends.persistence.healthy).toBe(false);
  });
});

describe('embedded store with a row whose metadata is not JSON', () => {
  it('skips the row on load, and still invalidates tags', async () => {
    const backing = await embedded();
    const options: CacheModuleOptions = {
      namespaces: [{ name: 'settings', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: { dataSource: backing.dataSource() },
    };
    try {
      const first = await startCacheApp(options);
      await first.ns('settings').set('broken', 1);
      await first.ns('settings').set('tagged', 2, { tags: ['t'] });
      await first.close();
      await backing.exec(`UPDATE cache_storage SET metadata = 'not json' WHERE key = 'broken'`);
      const second = await startCacheApp(options);
      try {
        expect(await second.ns('settings').get('broken')).toBeUndefined();
        expect(second.ns('settings').stats().errors).toBe(1);
        expect(await second.ns('settings').invalidateTags(['t'])).toBe(1);
        expect((await backing.rows('settings')).map((row) => row.key)).toEqual(['broken']);
        expect(second.service.info().backends.persistence.healthy).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      await backing.teardown();
    }
  });
});

describe('persistence with an application DataSource', () => {
  it('uses an initialized DataSource and leaves it open', async () => {
    const database = await PostgresDatabase.create();
    const dataSource = new DataSource({ type: 'postgres', url: database.url });
    await dataSource.initialize();
    try {
      const app = await startCacheApp({
        namespaces: [{ name: 'settings', persistence: PersistenceLevel.ON_CHANGE }],
        persistence: { dataSource },
      });
      await app.ns('settings').set('k', 'v');
      await app.close();
      expect(dataSource.isInitialized).toBe(true);
      expect(await dataSource.query('SELECT key FROM cache_storage')).toEqual([{ key: 'k' }]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

describe('persistence while PostgreSQL is unreachable', () => {
  it('keeps serving, keeps entries dirty, and writes them once the database is back', async () => {
    const database = await PostgresDatabase.create();
    const { proxy, url } = await startDatabaseProxy(database);
    const app = await startCacheApp({
      namespaces: [{ name: 'members', persistence: PersistenceLevel.PERIODIC }],
      persistence: {
        dataSource: {
          type: 'postgres',
          url,
          connectTimeoutMS: 500,
          extra: { max: 2 },
        },
        flushInterval: '50ms',
      },
    });
    try {
      await proxy.cut();
      await app.ns('members').set('a', 1);
      await app.ns('members').set('b', 2);
      await eventually(() =>
        expect(app.service.info().backends.persistence).toMatchObject({ healthy: false, dirty: 2 }),
      );
      expect(await app.ns('members').get('a')).toBe(1);
      await proxy.open();
      await eventually(async () =>
        expect(
          (await database.query<{ key: string }>('SELECT key FROM cache_storage ORDER BY key')).map(
            (row) => row.key,
          ),
        ).toEqual(['a', 'b']),
      );
      expect(app.service.info().backends.persistence).toMatchObject({ healthy: true, dirty: 0 });
    } finally {
      await app.close();
      await proxy.cut();
      await database.drop();
    }
  }, 20_000);
});

describe('persistence health after a failure', () => {
  it('is healthy again once the store answers, the failed removal retried', async () => {
    const database = await PostgresDatabase.create();
    const { proxy, url } = await startDatabaseProxy(database);
    const app = await startCacheApp({
      namespaces: [{ name: 'settings', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: {
        dataSource: { type: 'postgres', url, connectTimeoutMS: 500 },
        flushInterval: '50ms',
      },
    });
    try {
      await app.ns('settings').set('a', 1, { tags: ['t'] });
      await proxy.cut();
      await app.ns('settings').invalidateTags(['t']);
      // The removal waits for its retry (by the timer's flush), as a key's pending delete would.
      expect(app.service.info().backends.persistence).toMatchObject({ healthy: false, dirty: 1 });
      await proxy.open();
      await eventually(() =>
        expect(app.service.info().backends.persistence).toMatchObject({ healthy: true, dirty: 0 }),
      );
      expect(await database.query('SELECT key FROM cache_storage')).toEqual([]);
    } finally {
      await app.close();
      await proxy.cut();
      await database.drop();
    }
  }, 20_000);
});

describe('PostgreSQL as a cache tier through the module', () => {
  it('serves a namespace from memory over the table, and keeps it across restarts', async () => {
    const database = await PostgresDatabase.create();
    const options: CacheModuleOptions = {
      namespaces: [{ name: 'catalog', tiers: ['memory', 'postgres'], ttl: '1h' }],
      persistence: { dataSource: { type: 'postgres', url: database.url } },
    };
    try {
      const first = await startCacheApp(options);
      const catalog = first.ns<{ title: string; at: Date }>('catalog');
      await catalog.set('book:1', { title: 'Dune', at: new Date(0) }, { tags: ['books'] });
      await catalog.set('book:2', { title: 'Emma', at: new Date(0) }, { tags: ['books'] });
      expect(await catalog.increment('views')).toBe(1);
      expect(await catalog.get('book:1')).toEqual({ title: 'Dune', at: new Date(0) });
      await first.close();
      const second = await startCacheApp(options);
      const again = second.ns<{ title: string; at: Date }>('catalog');
      expect((await again.get('book:2'))?.at).toBeInstanceOf(Date);
      expect(await again.increment('views')).toBe(2);
      expect(await again.invalidateTags(['books'])).toBe(2);
      // Only the namespace's own rows: its load marks live under `catalog:loads`.
      expect(
        await database.query("SELECT key FROM cache_storage WHERE namespace = 'catalog'"),
      ).toEqual([{ key: 'views' }]);
      await second.close();
    } finally {
      await database.drop();
    }
  });

  it('refuses the postgres tier without a PostgreSQL store', async () => {
    await expect(
      startCacheApp({ namespaces: [{ name: 'catalog', tiers: ['memory', 'postgres'] }] }),
    ).rejects.toThrow('the "postgres" tier is not configured');
  });
});

describe('persistence under concurrency and failure', () => {
  let database: PostgresDatabase;
  beforeEach(async () => {
    database = await PostgresDatabase.create();
  });
  afterEach(() => database.drop());
  const keys = async (namespace: string): Promise<string[]> =>
    (
      await database.query<{ key: string }>(
        'SELECT key FROM cache_storage WHERE namespace = $1 ORDER BY key',
        [namespace],
      )
    ).map((row) => row.key);

  it.each([PersistenceLevel.ON_CHANGE, PersistenceLevel.PERIODIC, PersistenceLevel.ON_SHUTDOWN])(
    'keeps the table in step with memory when invalidations and writes of a key race (%s)',
    async (level) => {
      const options: CacheModuleOptions = {
        namespaces: [{ name: 'racy', persistence: level }],
        persistence: { dataSource: { type: 'postgres', url: database.url }, flushInterval: '5ms' },
      };
      const app = await startCacheApp(options);
      const ns = app.ns('racy');
      const removals: Array<[string, (key: string) => Promise<unknown>]> = [
        ['tag', () => ns.invalidateTags(['t'])],
        ['glob', (key) => ns.invalidatePattern(`${key.slice(0, -1)}*`)],
        ['key', (key) => ns.delete(key)],
      ];
      const written: string[] = [];
      for (let round = 0; round < 20; round++) {
        for (const [kind, remove] of removals) {
          const before = `${kind}-${round}-b`;
          const after = `${kind}-${round}-a`;
          // Started in the same tick, in both orders: memory applies them as called.
          await Promise.all([ns.set(before, round, { tags: ['t'] }), remove(before)]);
          await Promise.all([remove(after), ns.set(after, round, { tags: ['t'] })]);
          written.push(before, after);
        }
      }
      // Later tag removals take earlier keys too: what memory holds at the end is the truth.
      const held: Record<string, boolean> = {};
      for (const key of written) held[key] = await ns.has(key);
      expect(Object.values(held).filter(Boolean).length).toBeGreaterThan(0);
      await app.close();
      const stored = new Set(await keys('racy'));
      const mismatches = Object.entries(held).filter(
        ([key, inMemory]) => stored.has(key) !== inMemory,
      );
      expect(mismatches).toEqual([]);
    },
  );

  it('never lets a running flush overwrite a newer write or bring back a deleted row', async () => {
    const app = await startCacheApp({
      namespaces: [{ name: 'members', persistence: PersistenceLevel.PERIODIC }],
      persistence: {
        dataSource: { type: 'postgres', url: database.url },
        flushInterval: '1h',
        batchSize: 50,
      },
    });
    try {
      const members = app.ns<string>('members');
      for (let i = 0; i < 2000; i++) await members.set(`m${i}`, 'v1');
      await members.set('k', 'old');
      await members.set('gone', 'soon deleted');
      const flushing = app.service.flush();
      await members.set('k', 'new', { persistence: PersistenceLevel.ON_CHANGE });
      await members.delete('gone');
      await flushing;
      const rows = await database.query<{ key: string; value: string }>(
        "SELECT key, value::text AS value FROM cache_storage WHERE key IN ('k', 'gone')",
      );
      expect(rows).toEqual([{ key: 'k', value: '"new"' }]);
    } finally {
      await app.close();
    }
  });

  it('waits for a running flush at shutdown, so every entry is written', async () => {
    const app = await startCacheApp({
      namespaces: [{ name: 'members', persistence: PersistenceLevel.PERIODIC }],
      persistence: {
        dataSource: { type: 'postgres', url: database.url },
        flushInterval: 10,
        batchSize: 10,
      },
    });
    for (let i = 0; i < 1000; i++) await app.ns('members').set(`m${i}`, i);
    await app.close();
    expect(await keys('members')).toHaveLength(1000);
  });

  /** The module's persistence alone, so a test can hand it entries `set` would refuse. */
  const persistenceOn = (): PersistenceManager =>
    new PersistenceManager(
      manualPersistenceOptions({ dataSource: { type: 'postgres', url: database.url } }),
      'cache',
    );
  /** An entry as a namespace hands it over. A NUL is text PostgreSQL's jsonb refuses. */
  const entry = (value: unknown, persistence: PersistenceLevel): CacheEntry => ({
    value,
    size: 1,
    expiresAt: Infinity,
    persistence,
  });

  it('writes the other namespaces and ON_SHUTDOWN entries when one entry is refused', async () => {
    const manager = persistenceOn();
    await manager.start([], true);
    const ignore = (): void => undefined;
    await manager.for('p1', ignore).written('bad', entry('a\u0000b', PersistenceLevel.PERIODIC));
    await manager.for('p1', ignore).written('good', entry('fine', PersistenceLevel.PERIODIC));
    await manager.for('p2', ignore).written('other', entry('fine', PersistenceLevel.PERIODIC));
    await manager.for('info', ignore).written('chat', entry('fine', PersistenceLevel.ON_SHUTDOWN));
    await manager.close();
    expect(await keys('p1')).toEqual(['good']);
    expect(await keys('p2')).toEqual(['other']);
    expect(await keys('info')).toEqual(['chat']);
  });

  it('drops entries the database refuses, and is healthy again', async () => {
    const manager = persistenceOn();
    try {
      await manager.start([], true);
      const faults: string[] = [];
      const persistence = manager.for('p', (operation) => faults.push(operation));
      await persistence.written('bad', entry('a\u0000b', PersistenceLevel.ON_CHANGE));
      expect(faults).toEqual(['persist']);
      expect(manager.health()).toMatchObject({ healthy: false, dirty: 1 });
      expect(await manager.flush()).toBe(0);
      expect(manager.health()).toEqual({
        healthy: true,
        dirty: 0,
        circuit: 'closed',
        lastFlushAt: expect.any(String),
      });
      await persistence.written('good', entry(1, PersistenceLevel.ON_CHANGE));
      expect(await keys('p')).toEqual(['good']);
    } finally {
      await manager.close();
    }
  });

  it('deletes the rows of tagged entries memory no longer holds', async () => {
    const app = await startCacheApp({
      namespaces: [{ name: 'small', persistence: PersistenceLevel.ON_CHANGE, maxEntries: 2 }],
      persistence: { dataSource: { type: 'postgres', url: database.url } },
    });
    try {
      for (const key of ['a', 'b', 'c']) await app.ns('small').set(key, key, { tags: ['x'] });
      expect(await keys('small')).toEqual(['a', 'b', 'c']);
      await app.ns('small').invalidateTags(['x']);
      expect(await keys('small')).toEqual([]);
      for (const key of ['user:1', 'user:2', 'user:3']) await app.ns('small').set(key, key);
      await app.ns('small').invalidatePattern('user:*');
      expect(await keys('small')).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('keeps dirty entries when the store cannot be reached at all', async () => {
    const app = await startCacheApp({
      namespaces: [{ name: 'members', persistence: PersistenceLevel.PERIODIC }],
      persistence: {
        dataSource: {
          type: 'postgres',
          url: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
          connectTimeoutMS: 300,
        },
        flushInterval: '1h',
      },
    });
    await app.ns('members').set('a', 1);
    await expect(app.service.flush()).rejects.toThrow();
    expect(app.service.info().backends.persistence).toMatchObject({ healthy: false, dirty: 1 });
    expect(await app.ns('members').get('a')).toBe(1);
    await app.close();
  });
});

describe('warm start next to live instances', () => {
  it('never writes an old row over a newer value another instance holds in Redis', async () => {
    const database = await PostgresDatabase.create();
    const redis = await RedisServer.start();
    const options: CacheModuleOptions = {
      redis: { url: redis.url },
      namespaces: [{ name: 'users', persistence: PersistenceLevel.ON_SHUTDOWN }],
      persistence: { dataSource: { type: 'postgres', url: database.url } },
    };
    try {
      const first = await startCacheApp(options);
      await first.ns('users').set('u1', 'old');
      await first.close();
      const live = await startCacheApp(options);
      await live.ns('users').set('u1', 'new');
      const joining = await startCacheApp(options);
      expect(await joining.ns('users').get('u1')).toBe('new');
      expect(await live.ns('users').get('u1')).toBe('new');
      await joining.close();
      await live.close();
    } finally {
      await redis.stop();
      await database.drop();
    }
  });
  it('restores page after page into Redis in bulk: no row over a newer value, a crafted row skipped and counted, nothing announced', async () => {
    const database = await PostgresDatabase.create();
    const redis = await RedisServer.start();
    const raw = new Redis(redis.url);
    const listener = new Redis(redis.url);
    const options: CacheModuleOptions = {
      prefix: 'pages',
      redis: { url: redis.url },
      namespaces: [{ name: 'users', persistence: PersistenceLevel.ON_SHUTDOWN }],
      persistence: { dataSource: { type: 'postgres', url: database.url } },
    };
    // More rows than one page of warm start (1000), so it streams several.
    const keys = Array.from({ length: 2500 }, (_, i) => `u${String(i).padStart(4, '0')}`);
    const apps: CacheApp[] = [];
    try {
      const first = await startCacheApp(options);
      await first.ns('users').setMany(keys.map((key, i) => [key, i] as const));
      await first.close();
      await raw.flushall();
      await database.query(
        `UPDATE cache_storage SET metadata = '{"persistence": "nowhere"}' WHERE key = 'u0500'`,
      );
      const live = await startCacheApp({
        ...options,
        persistence: { ...options.persistence, loadOnStartup: false },
      });
      apps.push(live);
      const heard: string[] = [];
      await listener.subscribe('pages:cache-bus');
      listener.on('message', (_channel: string, text: string) => heard.push(text));
      await live.ns('users').set('u1500', 'newer');
      // The live instance's own announcement of its write, heard before the warm start begins.
      await eventually(() => expect(heard).toHaveLength(1));
      heard.length = 0;
      const joining = await startCacheApp(options);
      apps.push(joining);
      // Published after the warm start: any announcement of it would have been heard first.
      await raw.publish('pages:cache-bus', 'marker');
      await eventually(() => expect(heard).toContain('marker'));
      expect(heard).toEqual(['marker']);
      const users = joining.ns('users');
      expect(await users.get('u1500')).toBe('newer');
      expect(await users.getMany(['u0000', 'u0999', 'u1000', 'u2499'])).toEqual([
        0, 999, 1000, 2499,
      ]);
      expect(await users.get('u0500')).toBeUndefined();
      expect(users.stats().errors).toBe(1);
      expect(await raw.keys('{pages:users}:v:*')).toHaveLength(keys.length - 1);
    } finally {
      for (const app of apps) await app.close();
      raw.disconnect();
      listener.disconnect();
      await redis.stop();
      await database.drop();
    }
  });
});
