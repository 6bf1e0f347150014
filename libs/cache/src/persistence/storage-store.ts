import type { DataSource } from 'typeorm';
import type { StorageDialect } from './cache-storage.entity';
import type { RemovedKeys } from '../tiers/removed-keys';
import type { Removal } from './removal';
import { LoadTicketStore } from './load-ticket-store';
import { connectStorage, migrateStorage, type StorageSource } from './storage-connection';
import { forEachPage, type PageRun } from './storage-pages';
import { removeRows } from './storage-removals';
import { changeRow, type RowChange } from './storage-row-change';
import { queryLoadedRows, queryRows, type LoadedRow } from './storage-rows';
import { StorageMendSql, type MendedRow, type WrittenRow } from './storage-mend-sql';
import { StorageSql, type Statement, type StoredRow } from './storage-sql';
import { isStaleRow } from './stored-entry';

/**
 * The `cache_storage` table through TypeORM: batched, parameterized multi-row upserts, deletes,
 * keyset-paged reads and bounded cleanup, in PostgreSQL or the embedded SQLite (sql.js) store.
 * Every statement is scoped by the application's `prefix`: the rows of another prefix are
 * never read, written, deleted or cleaned up. Closes only a connection it opened.
 */
export class StorageStore {
  private readonly sql: StorageSql;
  private readonly mendSql: StorageMendSql;
  /** The PostgreSQL tier's load tickets; none on the embedded store (one connection holds it). */
  readonly tickets: LoadTicketStore | undefined;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: StorageDialect,
    private readonly owned: boolean,
    /** The application's `prefix`, which scopes every row. */
    readonly prefix: string,
    /** Lets go of the embedded store's file once closed (see `claimStoreFile`). */
    private readonly release: () => void,
  ) {
    this.sql = new StorageSql(dialect, prefix);
    this.mendSql = new StorageMendSql(dialect, prefix);
    this.tickets = dialect === 'postgres' ? new LoadTicketStore(dataSource, prefix) : undefined;
  }

  /**
   * Connects as the application of `prefix`, and when `migrate` allows creates the table if it
   * is missing or upgrades it if it predates prefixes (see `migrateStorage`).
   */
  static async open(
    source: StorageSource,
    prefix: string,
    migrate: boolean,
  ): Promise<StorageStore> {
    const connection = await connectStorage(source);
    const { dataSource, dialect, opened, release } = connection;
    const store = new StorageStore(dataSource, dialect, opened, prefix, release);
    try {
      if (migrate) await migrateStorage(connection, prefix);
    } catch (error) {
      // A connection opened here is closed here, or each retry would leak a pool.
      await store.close();
      throw error;
    }
    return store;
  }

  /** Inserts or replaces rows, one statement per batch (five parameters a row on SQLite). */
  async upsert(rows: readonly StoredRow[], batchSize: number): Promise<void> {
    await this.inStatements(rows, batchSize, 5, (part) => this.sql.upsert(part));
  }

  /** Writes `row` unless its key holds a live row; true when written. */
  async insertIfAbsent(row: StoredRow): Promise<boolean> {
    return (await this.run<{ key: string }>(this.sql.upsert([row], true))).length > 0;
  }

  /**
   * Deletes the rows a removal covers (keys in batches of `batchSize`), returning the keys of
   * those that were live: held, or stale (within their grace period).
   */
  remove(namespace: string, removal: Removal, batchSize: number): Promise<RemovedKeys> {
    const size = this.sql.rowsPerStatement(batchSize, 1);
    return removeRows(this.dataSource, this.sql, namespace, removal, size);
  }

  /**
   * Brings rows this instance changed in line with the shared tier (one statement each): deletes
   * `gone` and replaces `changed`, each only while it still carries the mark this instance wrote
   * it with; writes `missing` where no live row is. Returns the keys of `missing` written.
   */
  async mend(
    namespace: string,
    gone: readonly WrittenRow[],
    changed: readonly MendedRow[],
    missing: readonly StoredRow[],
  ): Promise<string[]> {
    const { mendSql, sql } = this;
    await this.inStatements(gone, gone.length, 2, (part) => mendSql.deleteMarked(namespace, part));
    await this.inStatements(changed, changed.length, 5, (part) =>
      mendSql.replaceMarked(namespace, part),
    );
    const written = await this.inStatements<StoredRow, { key: string }>(
      missing,
      missing.length,
      5,
      (part) => sql.upsert(part, true),
    );
    return written.map((row) => row.key);
  }

  /** Deletes the row of `key` only while it holds `value` (JSON text). */
  async removeHolding(namespace: string, key: string, value: string): Promise<void> {
    await this.run(this.sql.deleteHolding(namespace, key, value));
  }

  /** The live rows of `keys`, in no particular order. */
  read(namespace: string, keys: readonly string[]): Promise<LoadedRow[]> {
    return queryLoadedRows(this.dataSource, this.sql.read(namespace, keys));
  }

  /**
   * The unexpired rows of a namespace, one page at a time in key order (keyset paging, never the
   * whole table in memory): `visit` gets each page while the next one is read. `run` runs each
   * page's read (a caller's deadline).
   */
  forEachPage(
    namespace: string,
    pageSize: number,
    visit: (rows: LoadedRow[]) => void | Promise<void>,
    run: PageRun = (read) => read(),
  ): Promise<void> {
    return forEachPage(this.dataSource, this.sql, namespace, pageSize, visit, run);
  }

  /** Gives a live row a new expiry (`null`: none) and drops its grace period; false if none. */
  async expire(namespace: string, key: string, expiresAt: number | null): Promise<boolean> {
    return (await this.run(this.sql.expire(namespace, key, expiresAt))).length > 0;
  }

  /** The keys of fresh rows whose index `name` is `value` (stale ones are absent). */
  async keysByIndex(namespace: string, name: string, value: string): Promise<string[]> {
    const statement = this.sql.keysByIndex(namespace, name, value);
    const rows = await this.run<{ key: string; metadata: unknown }>(statement);
    const now = Date.now();
    return rows.filter((row) => !isStaleRow(row.metadata, now)).map((row) => row.key);
  }

  /** How many live rows the namespace holds. */
  async count(namespace: string): Promise<number> {
    const [row] = await this.run<{ n: string | number }>(this.sql.count(namespace));
    return Number(row?.n ?? 0);
  }

  /**
   * A read-modify-write of one row in a transaction (under an advisory lock on the key in
   * PostgreSQL): `change` gets the live row, or undefined, and says what to write back.
   */
  change<T>(
    namespace: string,
    key: string,
    change: (row: LoadedRow | undefined) => RowChange<T>,
  ): Promise<T> {
    return changeRow(this.dataSource, this.sql, namespace, key, change);
  }

  /** Deletes up to `limit` expired rows of this prefix; returns how many. */
  async deleteExpired(limit: number): Promise<number> {
    const statement = this.sql.deleteExpired(limit);
    const result = (await this.dataSource.query(statement.sql, statement.params)) as unknown;
    if (this.dialect === 'postgres') return Array.isArray(result) ? Number(result[1] ?? 0) : 0;
    const changes = await this.dataSource.query<Array<{ n: number }>>('SELECT changes() AS n');
    return Number(changes[0]?.n ?? 0);
  }

  /** Resolves when the table answers a read (health checks). */
  async probe(): Promise<void> {
    await this.run(this.sql.probe());
  }

  /** The dialect of the connected database. */
  get kind(): StorageDialect {
    return this.dialect;
  }

  async close(): Promise<void> {
    try {
      if (this.owned && this.dataSource.isInitialized) await this.dataSource.destroy();
    } finally {
      this.release();
    }
  }

  /**
   * `statement` over `rows`, `batchSize` rows at most a statement and no more than the dialect
   * takes parameters (`perRow` each: SQLite takes 32,766 in all); the rows they answer with.
   */
  private async inStatements<R, T = unknown>(
    rows: readonly R[],
    batchSize: number,
    perRow: number,
    statement: (part: readonly R[]) => Statement,
  ): Promise<T[]> {
    const size = this.sql.rowsPerStatement(batchSize, perRow);
    const answered: T[] = [];
    for (let start = 0; start < rows.length; start += size) {
      answered.push(...(await this.run<T>(statement(rows.slice(start, start + size)))));
    }
    return answered;
  }

  private run<T>(statement: Statement): Promise<T[]> {
    return queryRows<T>(this.dataSource, statement);
  }
}
