import type { Logger } from '@nestjs/common';
import type { CacheEntry } from '../tiers/cache-entry';
import type { StorageStore } from './storage-store';
import { toRow } from './stored-entry';

/**
 * Writes one namespace's dirty entries (null: a pending delete) in batches of `batchSize`;
 * returns how many rows it wrote. A batch that fails twice is retried row by row: when some rows
 * go through, or none do but the store still answers a read, the others are data the database
 * refuses (logged and removed from `entries`); otherwise the database is down and the error
 * propagates (the caller keeps the entries dirty).
 */
export async function writeNamespace(
  store: StorageStore,
  namespace: string,
  entries: Map<string, CacheEntry | null>,
  batchSize: number,
  logger: Logger,
): Promise<number> {
  const rows = [...entries]
    .filter(([, entry]) => entry !== null)
    .map(([key, entry]) => toRow(namespace, key, entry as CacheEntry));
  const gone = [...entries].filter(([, entry]) => entry === null).map(([key]) => key);
  if (gone.length > 0) await retryOnce(() => store.remove(namespace, { keys: gone }, batchSize));
  try {
    await retryOnce(() => store.upsert(rows, batchSize));
    return rows.length;
  } catch (error) {
    let written = 0;
    const refused: string[] = [];
    for (const row of rows) {
      try {
        await store.upsert([row], 1);
        written++;
      } catch {
        refused.push(row.key);
      }
    }
    if (written === 0 && !(await answers(store))) throw error;
    for (const key of refused) entries.delete(key);
    logger.error(
      `the database refused ${refused.length} entries of "${namespace}" (${refused.slice(0, 5).join(', ')}): ${(error as Error).message}`,
    );
    return written;
  }
}

/** Whether the store answers a read. */
export function answers(store: StorageStore): Promise<boolean> {
  return store.probe().then(
    () => true,
    () => false,
  );
}

async function retryOnce<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    return call();
  }
}
