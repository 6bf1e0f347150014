import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { PersistenceLevel } from 'nest-tiered-cache';
import { cacheStorageEntity } from '../libs/cache/src/persistence/cache-storage.entity';
import { CreateCacheStorage1763700000000 } from '../libs/cache/src/persistence/create-cache-storage.migration';
import { ScopeCacheStorageByPrefix1795600000000 } from '../libs/cache/src/persistence/scope-cache-storage.migration';
import { startCacheApp } from './servers/cache-app';
import { PostgresDatabase } from './servers/postgres-database';

const run = promisify(execFile);
const WEEK = 7 * 24 * 3600 * 1000;

/** A database holding `cache_storage` as it was before prefixes: the first migration only. */
interface OldShape {
  options: DataSourceOptions;
  /** Runs SQL on the database, behind the module's back. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  teardown(): Promise<void>;
}

async function withConnection<T>(
  options: DataSourceOptions,
  use: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = new DataSource({ ...options, migrations: [CreateCacheStorage1763700000000] });
  await dataSource.initialize();
  try {
    return await use(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function oldShape(options: DataSourceOptions, teardown: () => Promise<void>) {
  const shape: OldShape = {
    options,
    query: (sql, params = []) => withConnection(options, (ds) => ds.query(sql, params)),
    teardown,
  };
  await withConnection(options, async (dataSource) => {
    await dataSource.runMigrations();
    const postgres = options.type === 'postgres';
    const rows = [
      ['settings', 'theme', { dark: true, since: { $d: '2024-01-02T03:04:05.000Z' } }],
      ['settings', 'lang', 'en'],
    ] as const;
    for (const [namespace, key, value] of rows) {
      await dataSource.query(
        postgres
          ? 'INSERT INTO cache_storage (namespace, key, value, expires_at, metadata) VALUES ($1, $2, $3, $4, $5)'
          : 'INSERT INTO cache_storage (namespace, key, value, expires_at, metadata) VALUES (?, ?, ?, ?, ?)',
        [
          namespace,
          key,
          JSON.stringify(value),
          new Date(Date.now() + WEEK).toISOString(),
          JSON.stringify({ persistence: 'on_change' }),
        ],
      );
    }
  });
  return shape;
}

async function postgresOldShape(): Promise<OldShape> {
  const database = await PostgresDatabase.create();
  return oldShape({ type: 'postgres', url: database.url }, () => database.drop());
}

async function embeddedOldShape(): Promise<OldShape> {
  const dir = mkdtempSync(join(tmpdir(), 'cache-migrate-'));
  return oldShape(
    { type: 'sqljs', location: join(dir, 'store.sqlite'), autoSave: true },
    async () => rmSync(dir, { recursive: true, force: true }),
  );
}

const namespaces = [{ name: 'settings', persistence: PersistenceLevel.ON_CHANGE }];

describe.each([
  ['embedded SQLite', embeddedOldShape],
  ['PostgreSQL', postgresOldShape],
])('a cache_storage table from before prefixes (%s)', (_label, makeOldShape) => {
  let old: OldShape;
  beforeEach(async () => {
    old = await makeOldShape();
  });
  afterEach(() => old.teardown());

  it('is upgraded at start, its rows going to the prefix of the app that upgrades', async () => {
    const shop = await startCacheApp({
      prefix: 'shop',
      namespaces,
      persistence: { dataSource: old.options },
    });
    expect(await shop.ns('settings').get('theme')).toEqual({
      dark: true,
      since: new Date('2024-01-02T03:04:05.000Z'),
    });
    expect(await shop.ns('settings').get('lang')).toBe('en');
    await shop.ns('settings').set('lang', 'fr');
    await shop.close();
    expect(await old.query('SELECT prefix, key FROM cache_storage ORDER BY key')).toEqual([
      { prefix: 'shop', key: 'lang' },
      { prefix: 'shop', key: 'theme' },
    ]);

    const other = await startCacheApp({
      prefix: 'other',
      namespaces,
      persistence: { dataSource: old.options },
    });
    expect(await other.ns('settings').get('lang')).toBeUndefined();
    await other.ns('settings').set('lang', 'de');
    await other.close();
    const again = await startCacheApp({
      prefix: 'shop',
      namespaces,
      persistence: { dataSource: old.options },
    });
    expect(await again.ns('settings').get('lang')).toBe('fr');
    await again.close();
  });

  it('goes back down to one prefix, and up again', async () => {
    await withConnection(old.options, async (dataSource) => {
      const runner = dataSource.createQueryRunner();
      try {
        await new ScopeCacheStorageByPrefix1795600000000('shop').up(runner);
        await runner.query(
          "INSERT INTO cache_storage (prefix, namespace, key, value, metadata) VALUES ('other', 'settings', 'lang', '\"de\"', '{\"persistence\":\"on_change\"}')",
        );
        await new ScopeCacheStorageByPrefix1795600000000('shop').down(runner);
        expect(await runner.hasColumn('cache_storage', 'prefix')).toBe(false);
        await new ScopeCacheStorageByPrefix1795600000000('shop').up(runner);
        // Twice is once: the module and the CLI may both run it.
        await new ScopeCacheStorageByPrefix1795600000000('shop').up(runner);
      } finally {
        await runner.release();
      }
    });
    const rows = await old.query<{ prefix: string; key: string; value: unknown }>(
      'SELECT prefix, key, value FROM cache_storage ORDER BY key',
    );
    expect(rows.map((row) => [row.prefix, row.key])).toEqual([
      ['shop', 'lang'],
      ['shop', 'theme'],
    ]);
  });
});

describe('npm run migration:run on a table from before prefixes', () => {
  let old: OldShape;
  beforeAll(async () => {
    old = await postgresOldShape();
  });
  afterAll(() => old.teardown());

  it('carries the rows over to CACHE_PREFIX, leaving the table as cacheStorageEntity() has it', async () => {
    const url = (old.options as { url: string }).url;
    await run(
      join(process.cwd(), 'node_modules/.bin/typeorm-ts-node-commonjs'),
      ['migration:run', '-d', 'migrations/data-source.ts'],
      {
        env: {
          ...process.env,
          DATABASE_URL: url,
          CACHE_PREFIX: 'shop',
          TS_NODE_TRANSPILE_ONLY: 'true',
        },
      },
    );
    expect(await old.query('SELECT prefix, key FROM cache_storage ORDER BY key')).toEqual([
      { prefix: 'shop', key: 'lang' },
      { prefix: 'shop', key: 'theme' },
    ]);
    const primaryKey = await old.query<{ column: string }>(
      `SELECT a.attname AS column FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = 'cache_storage'::regclass AND i.indisprimary ORDER BY a.attname`,
    );
    expect(primaryKey.map((row) => row.column)).toEqual(['key', 'namespace', 'prefix']);

    const entity = new DataSource({ type: 'postgres', url, entities: [cacheStorageEntity()] });
    await entity.initialize();
    try {
      const pending = await entity.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await entity.destroy();
    }

    const shop = await startCacheApp({
      prefix: 'shop',
      namespaces,
      persistence: { dataSource: old.options },
    });
    expect(await shop.ns('settings').get('lang')).toBe('en');
    await shop.close();
  }, 60_000);
});
