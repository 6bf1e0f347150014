import type { EntityManager } from 'typeorm';
import type { Statement } from './storage-sql';

/** What runs a statement: the DataSource, or the EntityManager of a transaction. */
export type StorageQuery = Pick<EntityManager, 'query'>;

/** A row as read back: value and metadata as JSON text, the expiry in epoch ms. */
export interface LoadedRow {
  readonly key: string;
  readonly value: string;
  readonly metadata: string;
  readonly expiresAt: number | null;
}

/** The rows of a `SELECT key, value, metadata, expires_at` as TypeORM answered it. */
export function toLoadedRows(result: unknown): LoadedRow[] {
  const rows = resultRows<{
    key: string;
    value: string;
    metadata: string;
    expires_at: number | string | null;
  }>(result);
  const loadedRows = new Array<LoadedRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { key, value, metadata, expires_at: end } = rows[i];
    loadedRows[i] = { key, value, metadata, expiresAt: expiryOf(end) };
  }
  return loadedRows;
}

/** Runs `statement` on `db` and reads back the rows it answers. */
export async function queryRows<T>(db: StorageQuery, statement: Statement): Promise<T[]> {
  return resultRows<T>(await db.query(statement.sql, statement.params));
}

/** Runs a `SELECT key, value, metadata, expires_at` on `db`: its rows, decoded. */
export async function queryLoadedRows(
  db: StorageQuery,
  statement: Statement,
): Promise<LoadedRow[]> {
  return toLoadedRows(await db.query(statement.sql, statement.params));
}

/** TypeORM answers UPDATE and DELETE on PostgreSQL with `[rows, count]`, the rest with rows. */
export function resultRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return (Array.isArray(result) ? result : []) as T[];
}

/**
 * An `expires_at` as read back (see `StorageSqlParts.expiry`): epoch ms from PostgreSQL (a
 * number, or its text where an app's `pg` type parser keeps float8 as text), ISO text from SQLite.
 */
function expiryOf(end: number | string | null): number | null {
  if (end === null || typeof end === 'number') return end;
  const ms = Number(end);
  return Number.isNaN(ms) ? new Date(end).getTime() : ms;
}
