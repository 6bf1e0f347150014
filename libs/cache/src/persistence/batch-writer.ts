import type { Logger } from '@nestjs/common';
// The module's own reference: a test's fake timers replace the global one, and a flush must not
// wait for them to be advanced.
import { setImmediate } from 'node:timers';
import { asError } from '../errors/as-error';
import type { CacheEntry } from '../tiers/cache-entry';
import { CircuitOpenError, CommandTimeoutError } from '../stack/circuit-errors';
import { StoreBusyError, type GuardedStore } from './store-guard';
import type { StoredRow } from './storage-sql';
import { toRow } from './stored-entry';
import { loggedMessage, quoted } from '../logging/log-text';

/**
 * Writes one namespace's dirty entries (null: a pending delete) in batches of `batchSize`;
 * returns how many rows it wrote. Each batch is encoded while the one before it is being
 * written, so encoding the values costs no time of its own on a flush. A batch that fails twice
 * is retried row by row: when some rows go through, or none do but the store still answers a
 * read, the others are data the database refuses (logged and dropped); otherwise (or as soon as
 * a statement goes unanswered) the database is down and the error propagates (the caller keeps
 * the entries dirty). `dropped` hears the keys of the rows dropped, so a later failure keeps them
 * dropped.
 */
export async function writeNamespace(
  store: GuardedStore,
  namespace: string,
  entries: ReadonlyMap<string, CacheEntry | null>,
  batchSize: number,
  logger: Logger,
  dropped: (keys: readonly string[]) => void = () => undefined,
): Promise<number> {
  const gone: string[] = [];
  const live: Array<readonly [string, CacheEntry]> = [];
  for (const [key, entry] of entries) {
    if (entry === null) gone.push(key);
    else live.push([key, entry]);
  }
  if (gone.length > 0) await retryOnce(() => store.remove(namespace, { keys: gone }, batchSize));
  const rowsAt = (start: number): StoredRow[] =>
    encodeRows(namespace, live.slice(start, start + batchSize), logger, dropped);
  let written = 0;
  let rows = rowsAt(0);
  for (let start = 0; start < live.length; start += batchSize) {
    const next = start + batchSize;
    // The next batch is encoded once this one's statement is on its way (sending it takes a few
    // promise turns), while the database works on it; this statement is always awaited first,
    // so none is ever left running when the flush gives up.
    const encoded = next < live.length ? encodeSoon(() => rowsAt(next)) : undefined;
    encoded?.catch(() => undefined);
    written += await writeBatch(store, namespace, rows, logger, dropped);
    if (encoded) rows = await encoded;
  }
  return written;
}

/**
 * The rows of `entries`. An entry that cannot be encoded (only a value written around the cache
 * can be one: nested too deeply for the encoder, say) is logged and dropped, as a row the
 * database refuses is: it must not keep the rest of its namespace from the table.
 */
function encodeRows(
  namespace: string,
  entries: ReadonlyArray<readonly [string, CacheEntry]>,
  logger: Logger,
  dropped: (keys: readonly string[]) => void,
): StoredRow[] {
  const rows: StoredRow[] = [];
  for (const [key, entry] of entries) {
    try {
      rows.push(toRow(namespace, key, entry));
    } catch (error) {
      logger.error(
        `could not encode entry ${quoted(key)} of ${quoted(namespace)}, dropped: ${loggedMessage(error)}`,
      );
      dropped([key]);
    }
  }
  return rows;
}

/** `encode()` in a later turn of the event loop, after the promise turns queued now. */
function encodeSoon(encode: () => StoredRow[]): Promise<StoredRow[]> {
  return new Promise((done, fail) =>
    setImmediate(() => {
      try {
        done(encode());
      } catch (error) {
        fail(asError(error));
      }
    }),
  );
}

/** One batch of rows in one statement, retried once, then row by row (see `writeNamespace`). */
async function writeBatch(
  store: GuardedStore,
  namespace: string,
  rows: readonly StoredRow[],
  logger: Logger,
  dropped: (keys: readonly string[]) => void,
): Promise<number> {
  try {
    await retryOnce(() => store.upsert(rows, rows.length));
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
    dropped(refused);
    const named = refused.slice(0, 5).map((key) => quoted(key));
    logger.error(
      `the database refused ${refused.length} entries of ${quoted(namespace)} ` +
        `(${named.join(', ')}): ${loggedMessage(error)}`,
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
