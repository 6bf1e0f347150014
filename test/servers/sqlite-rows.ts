import { DataSource } from 'typeorm';

/** A `cache_storage` row as a test reads it. */
export interface StoredRow {
  key: string;
  value: string;
}

/** Reads the rows of a namespace from an embedded store file, as a fresh process would. */
export async function sqliteRows(location: string, namespace: string): Promise<StoredRow[]> {
  const reader = new DataSource({ type: 'sqljs', location, autoSave: false });
  await reader.initialize();
  try {
    return await reader.query(
      'SELECT key, value FROM cache_storage WHERE namespace = ? ORDER BY key',
      [namespace],
    );
  } finally {
    await reader.destroy();
  }
}
