import type { DataSource } from 'typeorm';
import { queryLoadedRows, queryRows, type LoadedRow } from './storage-rows';
import type { StorageSql, StoredRow } from './storage-sql';

/** What a row change decides from the live row: its result, and the row to write back if any. */
export interface RowChange<T> {
  readonly result: T;
  readonly write?: StoredRow;
}

/**
 * A read-modify-write of one row in a transaction (under an advisory lock on the key in
 * PostgreSQL): `change` gets the live row, or undefined, and says what to write back.
 */
export function changeRow<T>(
  dataSource: DataSource,
  sql: StorageSql,
  namespace: string,
  key: string,
  change: (row: LoadedRow | undefined) => RowChange<T>,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    if (sql.dialect === 'postgres') {
      // Neither a prefix nor a namespace holds a `:`, so the lock name is unambiguous.
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `${sql.prefix}:${namespace}:${key}`,
      ]);
    }
    const [row] = await queryLoadedRows(manager, sql.read(namespace, [key]));
    const { result, write } = change(row);
    if (write) await queryRows(manager, sql.upsert([write]));
    return result;
  });
}
