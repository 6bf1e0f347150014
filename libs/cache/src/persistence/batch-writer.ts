import type { Logger } from '@nestjs/common';
import type { CacheEntry } from '../tiers/cache-entry';
import { CircuitOpenError, CommandTimeoutError } from '../stack/circuit-breaker';
import { StoreBusyError, type GuardedStore } from './store-guard';
import { toRow } from './stored-entry';

/**
 * Writes one namespace's dirty entries (null: a pending delete) in batches of `batchSize`;
 * returns how many rows it wrote. A batch that fails twice is retried row by row: when some rows
 * go through, or none do but the store still answers a read, the others are data the database
 * refuses (logged and dropped); otherwise (or as soon as a statement goes unanswered) the
 * database is down and the error propagates (the caller keeps the entries dirty).
 */
export async function writeNamespace(
  store: GuardedStore,
  namespace: string,
  entries: ReadonlyMap<string, CacheEntry | null>,
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
      } catch (rowError) {
        // A database that stopped answering refuses nothing: the entries stay dirty.
        if (unanswered(rowError)) throw rowError;
        refused.push(row.key);
      }
    }
    if (written === 0 && !(await answers(store))) throw error;
    logger.error(
      `the database refused ${refused.length} entries of "${namespace}" (${refused.slice(0, 5).join(', ')}): ${(error as Error).message}`,
    );
    return written;
  }
}

/** Whether the store answers a read. */
export function answers(store: GuardedStore): Promise<boolean> {
  return store.probe().then(
    () => true,
    () => false,
  );
}

/** The guard gave up on the statement (deadline, circuit, an earlier statement unanswered). */
function unanswered(error: unknown): boolean {
  return (
    error instanceof CommandTimeoutError ||
    error instanceof CircuitOpenError ||
    error instanceof StoreBusyError
  );
}

async function retryOnce<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    return call();
  }
}
