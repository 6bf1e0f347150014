import { CACHE_STORAGE_TABLE as TABLE } from './cache-storage.entity';
import { globToLike } from './like-pattern';
import { SQLITE_NOW, StorageSqlParts } from './storage-sql-parts';

/** One entry as the store writes it: value and metadata already encoded as JSON text. */
export interface StoredRow {
  readonly namespace: string;
  readonly key: string;
  readonly value: string;
  readonly expiresAt: number | null;
  readonly metadata: string;
}

/** A statement and its parameters, in the placeholders of its dialect. */
export interface Statement {
  readonly sql: string;
  readonly params: unknown[];
}

const COLUMNS = 'prefix, namespace, key, value, expires_at, metadata, created_at, updated_at';
const REPLACE = `value = excluded.value, expires_at = excluded.expires_at,
  metadata = excluded.metadata, updated_at = excluded.updated_at`;

/**
 * The text of every `cache_storage` statement, in PostgreSQL or SQLite, scoped by one
 * application's `prefix` (always parameter 1 of a scoped statement, the namespace parameter 2).
 * Only `StorageStore` runs them (its removals, pages and row changes through the files it
 * delegates to): it is the one owner of the table's SQL.
 */
export class StorageSql extends StorageSqlParts {
  /**
   * Inserts or replaces rows in one statement. `ifAbsent`: a live row stays (only a missing or
   * expired one is written) and the statement returns the keys it wrote.
   */
  upsert(rows: readonly StoredRow[], ifAbsent = false): Statement {
    const params: unknown[] = [this.prefix];
    let values: string;
    if (this.dialect === 'postgres') {
      // Row parameters as arrays (`unnest`): six parameters to parse and plan, however many rows.
      params.push(
        rows.map((row) => row.namespace),
        rows.map((row) => row.key),
        rows.map((row) => row.value),
        rows.map((row) => this.time(row.expiresAt)),
        rows.map((row) => row.metadata),
      );
      values = `SELECT $1::text, namespace, key, value::jsonb, expires_at, metadata::jsonb, now(), now()
        FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
          AS batch(namespace, key, value, expires_at, metadata)`;
    } else {
      const tuples = rows.map((row) => {
        const at = params.length + 1;
        params.push(row.namespace, row.key, row.value, this.time(row.expiresAt), row.metadata);
        return `(?1, ${this.marks(at, 5)}, ${SQLITE_NOW}, ${SQLITE_NOW})`;
      });
      values = `VALUES ${tuples.join(', ')}`;
    }
    let guard = '';
    if (ifAbsent) {
      params.push(this.time(Date.now()));
      guard = `, created_at = excluded.created_at
        WHERE ${TABLE}.expires_at IS NOT NULL AND ${TABLE}.expires_at <= ${this.p(params.length)}
        RETURNING key`;
    }
    return {
      sql: `INSERT INTO ${TABLE} (${COLUMNS}) ${values}
        ON CONFLICT (prefix, namespace, key) DO UPDATE SET ${REPLACE}${guard}`,
      params,
    };
  }

  /** The live rows of `keys`. */
  read(namespace: string, keys: readonly string[]): Statement {
    return {
      sql: `SELECT key, ${this.text()}, ${this.expiry()} FROM ${TABLE}
        WHERE ${this.scope()} AND ${this.live(3)} AND ${this.among(4, keys.length)}`,
      params: [this.prefix, namespace, this.time(Date.now()), ...this.list(keys)],
    };
  }

  /** Up to `size` live rows after key `after`, in key order. */
  page(namespace: string, after: string, size: number): Statement {
    return {
      sql: `SELECT key, ${this.text()}, ${this.expiry()} FROM ${TABLE}
        WHERE ${this.scope()} AND key > ${this.p(3)} AND ${this.live(4)}
        ORDER BY key LIMIT ${this.p(5)}`,
      params: [this.prefix, namespace, after, this.time(Date.now()), size],
    };
  }

  /** Deletes the rows of `keys` (of the whole namespace when undefined), as `deleteWhere`. */
  deleteKeys(namespace: string, keys?: readonly string[]): Statement {
    if (keys === undefined) return this.deleteWhere('', [namespace]);
    return this.deleteWhere(` AND ${this.among(4, keys.length)}`, [namespace, ...this.list(keys)]);
  }

  /** Deletes the rows carrying any of `tags`, as `deleteWhere`. */
  deleteByTags(namespace: string, tags: readonly string[]): Statement {
    if (this.dialect === 'postgres') {
      return this.deleteWhere(` AND metadata -> 'tags' ?| $4::text[]`, [namespace, tags]);
    }
    // json_each fails the whole statement on one row that is not JSON: such a row is skipped.
    return this.deleteWhere(
      ` AND CASE WHEN json_valid(metadata) THEN EXISTS (SELECT 1 FROM json_each(metadata, '$.tags')
          WHERE json_each.value IN (${this.marks(4, tags.length)})) ELSE 0 END`,
      [namespace, ...tags],
    );
  }

  /** The keys that may match a cache glob (SQL LIKE narrows; the glob itself decides). */
  candidates(namespace: string, glob: string): Statement {
    return {
      sql: `SELECT key FROM ${TABLE} WHERE ${this.scope()} AND key LIKE ${this.p(3)} ESCAPE '\\'`,
      params: [this.prefix, namespace, globToLike(glob)],
    };
  }

  /** Deletes the row of `key` only while it holds `value` (JSON text). */
  deleteHolding(namespace: string, key: string, value: string): Statement {
    const holds = this.dialect === 'postgres' ? 'value = $5::jsonb' : 'value = ?5';
    return this.deleteWhere(` AND key = ${this.p(4)} AND ${holds}`, [namespace, key, value]);
  }

  /** Sets the expiry of a live row, dropping its grace period; returns its key. */
  expire(namespace: string, key: string, expiresAt: number | null): Statement {
    const metadata =
      this.dialect === 'postgres'
        ? `metadata - 'graceUntil' - 'expiresAt'`
        : `json_remove(metadata, '$.graceUntil', '$.expiresAt')`;
    const now = this.dialect === 'postgres' ? 'now()' : SQLITE_NOW;
    return {
      sql: `UPDATE ${TABLE} SET expires_at = ${this.p(5)}, metadata = ${metadata}, updated_at = ${now}
        WHERE ${this.scope()} AND ${this.live(3)} AND key = ${this.p(4)} RETURNING key`,
      params: [this.prefix, namespace, this.time(Date.now()), key, this.time(expiresAt)],
    };
  }

  /**
   * The keys of live rows whose index `name` is `value`, with their metadata (a row within its
   * grace period is live here, but stale: see `isStaleRow`).
   */
  keysByIndex(namespace: string, name: string, value: string): Statement {
    const indexed =
      this.dialect === 'postgres'
        ? `metadata -> 'indexes' ->> $4 = $5`
        : `CASE WHEN json_valid(metadata) THEN EXISTS (SELECT 1 FROM json_each(metadata, '$.indexes')
            WHERE json_each.key = ?4 AND json_each.value = ?5) ELSE 0 END`;
    return {
      sql: `SELECT key, ${this.metadataText()} FROM ${TABLE}
        WHERE ${this.scope()} AND ${this.live(3)} AND ${indexed}`,
      params: [this.prefix, namespace, this.time(Date.now()), name, value],
    };
  }

  /** How many live rows the namespace holds, as `n`. */
  count(namespace: string): Statement {
    return {
      sql: `SELECT count(*) AS n FROM ${TABLE} WHERE ${this.scope()} AND ${this.live(3)}`,
      params: [this.prefix, namespace, this.time(Date.now())],
    };
  }

  /** Deletes up to `limit` expired rows of this prefix. */
  deleteExpired(limit: number): Statement {
    return {
      sql: `DELETE FROM ${TABLE} WHERE prefix = ${this.p(1)} AND (namespace, key) IN (
          SELECT namespace, key FROM ${TABLE}
          WHERE prefix = ${this.p(1)} AND expires_at <= ${this.p(2)} LIMIT ${this.p(3)})`,
      params: [this.prefix, this.time(Date.now()), limit],
    };
  }

  /** A read of one row of this prefix (a health probe). */
  probe(): Statement {
    return {
      sql: `SELECT 1 FROM ${TABLE} WHERE prefix = ${this.p(1)} LIMIT 1`,
      params: [this.prefix],
    };
  }

  /**
   * Deletes the rows matching `where` (from parameter 4), returning `key`, `live` and `metadata`
   * (whether a live row was stale: see `isStaleRow`).
   */
  private deleteWhere(where: string, params: [string, ...unknown[]]): Statement {
    const [namespace, ...rest] = params;
    return {
      sql: `DELETE FROM ${TABLE} WHERE ${this.scope()}${where}
        RETURNING key, ${this.live(3)} AS live, ${this.metadataText()}`,
      params: [this.prefix, namespace, this.time(Date.now()), ...rest],
    };
  }
}
