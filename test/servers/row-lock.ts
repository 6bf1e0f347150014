import { Client } from 'pg';
import { eventually } from './eventually';
import type { PostgresDatabase } from './postgres-database';

/** The sessions of the database whose statement waits for a lock another transaction holds. */
const WAITING_FOR_A_LOCK =
  "pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";

/** A transaction of its own holding a row lock; statements on that row wait until `release`. */
export interface RowLock {
  /** Commits the transaction, so the statements waiting for the row go on, and disconnects. */
  release(): Promise<void>;
}

/** Takes the row lock of `key` in `cache_storage` of `database`, in a transaction left open. */
export async function lockRow(database: PostgresDatabase, key: string): Promise<RowLock> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM cache_storage WHERE key = $1 FOR UPDATE', [key]);
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

/** Resolves once exactly one statement in `database` waits for a row lock. */
export function waitingForLock(database: PostgresDatabase): Promise<void> {
  return eventually(async () => {
    const [{ waiting }] = await database.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM ${WAITING_FOR_A_LOCK}`,
    );
    expect(waiting).toBe(1);
  });
}

/**
 * Cancels the statement in `database` that waits for a row lock, once exactly one does: the
 * statement fails as a database error, the way a real fault reaches the cache.
 */
export function cancelWaiting(database: PostgresDatabase): Promise<void> {
  return eventually(async () => {
    const cancelled = await database.query(
      `SELECT pg_cancel_backend(pid) FROM ${WAITING_FOR_A_LOCK}`,
    );
    expect(cancelled).toHaveLength(1);
  });
}
