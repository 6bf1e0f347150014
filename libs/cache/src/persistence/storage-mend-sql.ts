import { CACHE_STORAGE_TABLE as TABLE } from './cache-storage.entity';
import type { Statement, StoredRow } from './storage-sql';
import { SQLITE_NOW, StorageSqlParts } from './storage-sql-parts';

/** A row this instance wrote, named by its key and the mark (`w` in its metadata) it was given. */
export interface WrittenRow {
  readonly key: string;
  readonly mark: string;
}

/** What a row this instance wrote becomes to follow the shared tier: `row`, marked `mark`. */
export interface MendedRow {
  readonly row: StoredRow;
  /** The mark of the row as this instance wrote it: it is replaced only while it still is. */
  readonly was: string;
}

/**
 * The statements that bring rows this instance wrote in line with the shared tier, each row
 * changed only while it still carries the mark of this instance's write (`w` in its metadata),
 * so a row another instance wrote since is never touched. Scoped by `prefix` as every
 * `cache_storage` statement is; one statement per batch of rows.
 */
export class StorageMendSql extends StorageSqlParts {
  /** Deletes the rows of `rows` that still carry their mark. */
  deleteMarked(namespace: string, rows: readonly WrittenRow[]): Statement {
    if (this.dialect === 'postgres') {
      return {
        sql: `DELETE FROM ${TABLE} WHERE ${this.scope()} AND (key, metadata ->> 'w') IN
          (SELECT * FROM unnest($3::text[], $4::text[]))`,
        params: [this.prefix, namespace, rows.map((row) => row.key), rows.map((row) => row.mark)],
      };
    }
    const params: unknown[] = [this.prefix, namespace];
    const pairs = rows.map((row) => {
      params.push(row.key, row.mark);
      return `(${this.marks(params.length - 1, 2)})`;
    });
    return {
      sql: `DELETE FROM ${TABLE} WHERE ${this.scope()} AND (key, ${MARK}) IN (VALUES ${pairs.join(', ')})`,
      params,
    };
  }

  /** Replaces the rows of `rows` whose row still carries the mark it `was` written with. */
  replaceMarked(namespace: string, rows: readonly MendedRow[]): Statement {
    if (this.dialect === 'postgres') {
      return {
        sql: `UPDATE ${TABLE} AS t SET value = m.value::jsonb, expires_at = m.expires_at,
            metadata = m.metadata::jsonb, updated_at = now()
          FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
            AS m(key, value, expires_at, metadata, was)
          WHERE t.prefix = $1 AND t.namespace = $2 AND t.key = m.key AND t.metadata ->> 'w' = m.was`,
        params: [
          this.prefix,
          namespace,
          rows.map(({ row }) => row.key),
          rows.map(({ row }) => row.value),
          rows.map(({ row }) => this.time(row.expiresAt)),
          rows.map(({ row }) => row.metadata),
          rows.map(({ was }) => was),
        ],
      };
    }
    const params: unknown[] = [this.prefix, namespace];
    const tuples = rows.map(({ row, was }) => {
      const at = params.length + 1;
      params.push(row.key, row.value, this.time(row.expiresAt), row.metadata, was);
      return `(${this.marks(at, 5)})`;
    });
    return {
      sql: `WITH m(key, value, expires_at, metadata, was) AS (VALUES ${tuples.join(', ')})
        UPDATE ${TABLE} SET value = m.value, expires_at = m.expires_at, metadata = m.metadata,
          updated_at = ${SQLITE_NOW}
        FROM m WHERE ${TABLE}.prefix = ?1 AND ${TABLE}.namespace = ?2
          AND ${TABLE}.key = m.key AND ${MARK_OF(TABLE)} = m.was`,
      params,
    };
  }
}

/** The mark of a row in SQLite (none for metadata that is not JSON: never a match). */
const MARK_OF = (table: string): string =>
  `CASE WHEN json_valid(${table}.metadata) THEN json_extract(${table}.metadata, '$.w') END`;
const MARK = MARK_OF(TABLE);
