import type { DataSource, DataSourceOptions } from 'typeorm';
import { loadStoragePeers } from '../optional-peer';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_STORAGE_TABLE, type StorageDialect } from './cache-storage.entity';
import { CreateCacheStorage1763700000000 } from './create-cache-storage.migration';
import { ScopeCacheStorageByPrefix1795600000000 } from './scope-cache-storage.migration';
import { globToLike } from './like-pattern';
import { compileGlob } from '../values/glob';

/** One entry as the store writes it: value and metadata already encoded as JSON text. */
export interface StoredRow {
  readonly namespace: string;
  readonly key: string;
  readonly value: string;
  readonly expiresAt: number | null;
  readonly metadata: string;
}

/** Where persisted entries go: a DataSource of the app's, its options, or the embedded store. */
export type StorageSource = DataSource | DataSourceOptions | undefined;

/** The file of the embedded store, under the working directory. */
export const EMBEDDED_STORE_FILE = '.cache-storage.sqlite';

/**
 * The `cache_storage` table through TypeORM: batched, parameterized multi-row upserts, deletes,
 * keyset-paged reads and bounded cleanup, in PostgreSQL or the embedded SQLite (sql.js) store.
 * Every statement is scoped by the application's `prefix`: the rows of another prefix are
 * never read, written, deleted or cleaned up. Closes only a connection it opened.
 */
export class StorageStore {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: StorageDialect,
    private readonly owned: boolean,
    /** The application's `prefix`, which scopes every row. */
    readonly prefix: string,
  ) {}

  /**
   * Connects as the application of `prefix`, and when `migrate` allows creates the table if it
   * is missing or upgrades it if it predates prefixes.
   */
  static async open(
    source: StorageSource,
    prefix: string,
    migrate: boolean,
  ): Promise<StorageStore> {
    const store = await StorageStore.connect(source, prefix);
    try {
      if (migrate) await store.migrate();
    } catch (error) {
      // A connection opened here is closed here, or each retry would leak a pool.
      await store.close();
      throw error;
    }
    return store;
  }

  private static async connect(source: StorageSource, prefix: string): Promise<StorageStore> {
    const { DataSource } = loadStoragePeers(source);
    const given = source instanceof DataSource ? source : undefined;
    const dataSource =
      given ??
      new DataSource(
        withAtomicSave(
          (source as DataSourceOptions | undefined) ?? {
            type: 'sqljs',
            location: join(process.cwd(), EMBEDDED_STORE_FILE),
            autoSave: true,
          },
        ),
      );
    const opened = !dataSource.isInitialized;
    if (opened) await dataSource.initialize();
    const dialect: StorageDialect = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
    return new StorageStore(dataSource, dialect, opened, prefix);
  }

  /**
   * Brings the table to the current shape, as `npm run migration:run` does: creates it when it
   * is missing, scopes it by prefix when it predates prefixes (its rows go to this prefix). In
   * one transaction, under an advisory lock on PostgreSQL, so instances starting together
   * neither race nor see half a change.
   */
  async migrate(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      if (this.dialect === 'postgres') {
        await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [CACHE_STORAGE_TABLE]);
      }
      if (!(await runner.hasTable(CACHE_STORAGE_TABLE))) {
        await new CreateCacheStorage1763700000000().up(runner);
      }
      await new ScopeCacheStorageByPrefix1795600000000(this.prefix).up(runner);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Inserts or replaces rows in one statement per batch. */
  async upsert(rows: readonly StoredRow[], batchSize: number): Promise<void> {
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      if (this.dialect === 'postgres') {
        await this.upsertArrays(batch);
        continue;
      }
      const params: unknown[] = [];
      const tuples = batch.map((row) => {
        params.push(
          this.prefix,
          row.namespace,
          row.key,
          row.value,
          this.time(row.expiresAt),
          row.metadata,
        );
        return `(?, ?, ?, ?, ?, ?, ${SQLITE_NOW}, ${SQLITE_NOW})`;
      });
      await this.dataSource.query(
        `INSERT INTO ${CACHE_STORAGE_TABLE} (prefix, namespace, key, value, expires_at, metadata, created_at, updated_at)
         VALUES ${tuples.join(', ')}
         ON CONFLICT (prefix, namespace, key) DO UPDATE SET value = excluded.value,
           expires_at = excluded.expires_at, metadata = excluded.metadata, updated_at = excluded.updated_at`,
        params,
      );
    }
  }

  /**
   * PostgreSQL: one statement whose row parameters are arrays (`unnest`), however many rows: the
   * server parses and plans six parameters instead of five per row.
   */
  private async upsertArrays(rows: readonly StoredRow[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${CACHE_STORAGE_TABLE} (prefix, namespace, key, value, expires_at, metadata, created_at, updated_at)
       SELECT $1::text, namespace, key, value::jsonb, expires_at, metadata::jsonb, now(), now()
       FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
         AS batch(namespace, key, value, expires_at, metadata)
       ON CONFLICT (prefix, namespace, key) DO UPDATE SET value = excluded.value,
         expires_at = excluded.expires_at, metadata = excluded.metadata, updated_at = excluded.updated_at`,
      [
        this.prefix,
        rows.map((row) => row.namespace),
        rows.map((row) => row.key),
        rows.map((row) => row.value),
        rows.map((row) => this.time(row.expiresAt)),
        rows.map((row) => row.metadata),
      ],
    );
  }

  /** Deletes the rows of `keys`, or of the whole namespace when `keys` is undefined. */
  async delete(
    namespace: string,
    keys: readonly string[] | undefined,
    batchSize: number,
  ): Promise<void> {
    if (keys === undefined) {
      await this.dataSource.query(`DELETE FROM ${CACHE_STORAGE_TABLE} WHERE ${this.scope()}`, [
        this.prefix,
        namespace,
      ]);
      return;
    }
    for (let start = 0; start < keys.length; start += batchSize) {
      const batch = keys.slice(start, start + batchSize);
      const marks = batch.map((_key, i) => this.p(i + 3)).join(', ');
      await this.dataSource.query(
        `DELETE FROM ${CACHE_STORAGE_TABLE} WHERE ${this.scope()} AND key IN (${marks})`,
        [this.prefix, namespace, ...batch],
      );
    }
  }

  /** Deletes the rows of a namespace carrying any of `tags`. */
  async deleteByTags(namespace: string, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    if (this.dialect === 'postgres') {
      await this.dataSource.query(
        `DELETE FROM ${CACHE_STORAGE_TABLE} WHERE ${this.scope()} AND metadata -> 'tags' ?| $3::text[]`,
        [this.prefix, namespace, tags],
      );
      return;
    }
    // json_each fails the whole statement on one row that is not JSON: such a row is skipped.
    await this.dataSource.query(
      `DELETE FROM ${CACHE_STORAGE_TABLE} WHERE ${this.scope()} AND CASE WHEN json_valid(metadata)
         THEN EXISTS (SELECT 1 FROM json_each(metadata, '$.tags')
           WHERE json_each.value IN (${tags.map(() => '?').join(', ')}))
         ELSE 0 END`,
      [this.prefix, namespace, ...tags],
    );
  }

  /** Deletes the rows of a namespace whose key matches a cache glob. */
  async deleteMatching(namespace: string, glob: string): Promise<void> {
    const pattern = compileGlob(glob);
    const candidates = await this.dataSource.query<Array<{ key: string }>>(
      `SELECT key FROM ${CACHE_STORAGE_TABLE} WHERE ${this.scope()} AND key LIKE ${this.p(3)} ESCAPE '\\'`,
      [this.prefix, namespace, globToLike(glob)],
    );
    // LIKE narrows it down; the glob itself decides.
    const keys = candidates.map((row) => row.key).filter((key) => pattern.test(key));
    await this.delete(namespace, keys, 1000);
  }

  /**
   * The unexpired rows of a namespace, one page at a time in key order (never the whole table in
   * memory): `visit` gets each page.
   */
  async forEachPage(
    namespace: string,
    pageSize: number,
    visit: (
      rows: Array<{ key: string; value: string; expiresAt: number | null; metadata: string }>,
    ) => void | Promise<void>,
  ): Promise<void> {
    const value =
      this.dialect === 'postgres'
        ? 'value::text AS value, metadata::text AS metadata'
        : 'value, metadata';
    let after = '';
    for (;;) {
      const page = await this.dataSource.query<
        Array<{ key: string; value: string; metadata: string; expires_at: Date | string | null }>
      >(
        `SELECT key, ${value}, expires_at FROM ${CACHE_STORAGE_TABLE}
         WHERE ${this.scope()} AND key > ${this.p(3)} AND (expires_at IS NULL OR expires_at > ${this.p(4)})
         ORDER BY key LIMIT ${this.p(5)}`,
        [this.prefix, namespace, after, this.time(Date.now()), pageSize],
      );
      if (page.length === 0) return;
      await visit(
        page.map((row) => ({
          key: row.key,
          value: row.value,
          metadata: row.metadata,
          expiresAt: row.expires_at === null ? null : new Date(row.expires_at).getTime(),
        })),
      );
      if (page.length < pageSize) return;
      after = page[page.length - 1].key;
    }
  }

  /** Deletes up to `limit` expired rows of this prefix; returns how many. */
  async deleteExpired(limit: number): Promise<number> {
    const result = (await this.dataSource.query(
      `DELETE FROM ${CACHE_STORAGE_TABLE} WHERE prefix = ${this.p(1)} AND (namespace, key) IN (
         SELECT namespace, key FROM ${CACHE_STORAGE_TABLE}
         WHERE prefix = ${this.p(2)} AND expires_at <= ${this.p(3)} LIMIT ${this.p(4)})`,
      [this.prefix, this.prefix, this.time(Date.now()), limit],
    )) as unknown;
    if (this.dialect === 'postgres') return Array.isArray(result) ? Number(result[1] ?? 0) : 0;
    const changes = await this.dataSource.query<Array<{ n: number }>>('SELECT changes() AS n');
    return Number(changes[0]?.n ?? 0);
  }

  /** Resolves when the table answers a read (health checks). */
  async probe(): Promise<void> {
    await this.dataSource.query(
      `SELECT 1 FROM ${CACHE_STORAGE_TABLE} WHERE prefix = ${this.p(1)} LIMIT 1`,
      [this.prefix],
    );
  }

  /** Runs a query against the store (tests and diagnostics). */
  query<T>(sql: string, params: unknown[] = []): Promise<T> {
    return this.dataSource.query(sql, params);
  }

  /** Runs `work` in one transaction, its queries through `query`. */
  transaction<T>(
    work: (query: (sql: string, params?: unknown[]) => Promise<unknown>) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction((manager) =>
      work((sql, params) => manager.query(sql, params)),
    );
  }

  /** The dialect of the connected database. */
  get kind(): StorageDialect {
    return this.dialect;
  }

  /** `prefix = <1> AND namespace = <2>`: the first two parameters of every scoped statement. */
  private scope(): string {
    return `prefix = ${this.p(1)} AND namespace = ${this.p(2)}`;
  }

  /** The placeholder of parameter `n` (1-based) in this dialect. */
  p(n: number): string {
    return this.dialect === 'postgres' ? `$${n}` : '?';
  }

  async close(): Promise<void> {
    if (this.owned && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private time(ms: number | null): Date | string | null {
    if (ms === null) return null;
    return this.dialect === 'postgres' ? new Date(ms) : new Date(ms).toISOString();
  }
}

const SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/**
 * sql.js keeps the database in memory and rewrites its file after each change: written in place,
 * a crash or a reader mid-write meets half a file. Written to a temporary file and renamed over
 * the old one, the file is always whole.
 */
function withAtomicSave(options: DataSourceOptions): DataSourceOptions {
  if (
    options.type !== 'sqljs' ||
    !options.autoSave ||
    options.autoSaveCallback ||
    !options.location
  ) {
    return options;
  }
  const location = options.location;
  return {
    ...options,
    autoSaveCallback: (data: Uint8Array) => {
      const temporary = `${location}.${process.pid}.tmp`;
      writeFileSync(temporary, data);
      renameSync(temporary, location);
    },
  };
}
