import { queryLoadedRows, type LoadedRow, type StorageQuery } from './storage-rows';
import type { StorageSql } from './storage-sql';

/** Runs the read of one page; the caller may bound it. */
export type PageRun = (read: () => Promise<LoadedRow[]>) => Promise<LoadedRow[]>;

/**
 * The unexpired rows of a namespace, one page at a time in key order (keyset paging, never the
 * whole table in memory): `visit` gets each page while the next one is read.
 */
export async function forEachPage(
  db: StorageQuery,
  sql: StorageSql,
  namespace: string,
  pageSize: number,
  visit: (rows: LoadedRow[]) => void | Promise<void>,
  run: PageRun = (read) => read(),
): Promise<void> {
  let next = readPage(db, sql, namespace, '', pageSize, run);
  for (;;) {
    const page = await next;
    if (page.length === 0) return;
    const more = page.length === pageSize;
    if (more) next = readPage(db, sql, namespace, page[page.length - 1].key, pageSize, run);
    await visit(page);
    if (!more) return;
  }
}

/** A page of `forEachPage`; a read ahead that is never awaited (a visit failed) stays quiet. */
function readPage(
  db: StorageQuery,
  sql: StorageSql,
  namespace: string,
  after: string,
  size: number,
  run: PageRun,
): Promise<LoadedRow[]> {
  const page = run(() => queryLoadedRows(db, sql.page(namespace, after, size)));
  page.catch(() => undefined);
  return page;
}
