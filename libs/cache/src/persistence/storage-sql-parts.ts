import type { StorageDialect } from './cache-storage.entity';

/** The most parameters SQLite takes in one statement. */
const SQLITE_MAX_PARAMETERS = 32_766;
/** Room for the parameters a statement has besides its rows': prefix, namespace, time... */
const STATEMENT_PARAMETERS = 4;

/** The current time as SQLite writes it: ISO text, to the millisecond, as `time` stores times. */
export const SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/**
 * The pieces every `cache_storage` statement is built from, as one dialect writes them:
 * placeholders, the scope of one application's `prefix` (always parameter 1) and namespace
 * (parameter 2), whether a row is live, lists of keys, times, and value and metadata as JSON
 * text. `StorageSql` builds its statements from them.
 */
export abstract class StorageSqlParts {
  constructor(
    readonly dialect: StorageDialect,
    readonly prefix: string,
  ) {}

  /**
   * How many rows of `perRow` parameters one statement of a batch takes: `batchSize`, or fewer
   * on SQLite, where a statement over its parameter limit fails whole.
   */
  rowsPerStatement(batchSize: number, perRow: number): number {
    if (this.dialect === 'postgres') return batchSize;
    const fits = Math.floor((SQLITE_MAX_PARAMETERS - STATEMENT_PARAMETERS) / perRow);
    return Math.min(batchSize, fits);
  }

  /** A time as the dialect stores it. */
  time(ms: number | null): Date | string | null {
    if (ms === null || ms === Infinity) return null;
    return this.dialect === 'postgres' ? new Date(ms) : new Date(ms).toISOString();
  }

  /** `(expires_at IS NULL OR expires_at > <n>)`: the row is live at the time in parameter n. */
  protected live(n: number): string {
    return `(expires_at IS NULL OR expires_at > ${this.p(n)})`;
  }

  protected scope(): string {
    return `prefix = ${this.p(1)} AND namespace = ${this.p(2)}`;
  }

  /** Value and metadata as JSON text. */
  protected text(): string {
    return this.dialect === 'postgres'
      ? `value::text AS value, ${this.metadataText()}`
      : 'value, metadata';
  }

  /** Metadata as JSON text. */
  protected metadataText(): string {
    return this.dialect === 'postgres' ? 'metadata::text AS metadata' : 'metadata';
  }

  /**
   * `expires_at` as read back: epoch ms on PostgreSQL (a number the driver reads with
   * `parseFloat`, where a timestamp is parsed by a regular expression into a Date; rounded, as
   * older servers extract the epoch as a double), the stored ISO text on SQLite.
   */
  protected expiry(): string {
    return this.dialect === 'postgres'
      ? 'round(extract(epoch from expires_at) * 1000)::float8 AS expires_at'
      : 'expires_at';
  }

  /** `key` is one of the keys from parameter `from` (one array on PostgreSQL, else `count`). */
  protected among(from: number, count: number): string {
    return this.dialect === 'postgres'
      ? `key = ANY($${from}::text[])`
      : `key IN (${this.marks(from, count)})`;
  }

  /** Keys as the parameters of `among`. */
  protected list(keys: readonly string[]): unknown[] {
    return this.dialect === 'postgres' ? [keys] : [...keys];
  }

  /** `count` placeholders from parameter `from`. */
  protected marks(from: number, count: number): string {
    return Array.from({ length: count }, (_unused, i) => this.p(from + i)).join(', ');
  }

  /** The placeholder of parameter `n` (1-based). */
  protected p(n: number): string {
    // SQLite numbers its parameters as PostgreSQL does, so one text fits the order of both.
    return this.dialect === 'postgres' ? `$${n}` : `?${n}`;
  }
}
