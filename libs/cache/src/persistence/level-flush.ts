import { asError } from '../errors/as-error';
import { writeNamespace } from './batch-writer';
import type { DirtyEntries, DirtyLevel } from './dirty-entries';
import type { OrderedTable } from './ordered-table';
import type { PersistenceStatus } from './persistence-status';
import type { Report } from './persistence-types';
import type { StoreGuard } from './store-guard';

/** What a flush works with. */
export interface FlushContext {
  readonly guard: StoreGuard;
  readonly dirty: DirtyEntries;
  readonly table: OrderedTable;
  readonly status: PersistenceStatus;
  /** Where each namespace hears of a failed flush. */
  readonly reports: ReadonlyMap<string, Report>;
  /** Rows per statement. */
  readonly batchSize: number;
}

/**
 * Writes the dirty entries of `levels` in one pass (run in the table's queue): each namespace
 * with entries to write or a removal waiting applies its removals, then writes its entries of
 * every level; a namespace whose statements fail puts back what its flights still carry and
 * hears of it once. Returns how many rows were written; throws the first failure once every
 * namespace had its turn.
 */
export async function flushLevels(
  { guard, dirty, table, status, reports, batchSize }: FlushContext,
  levels: readonly DirtyLevel[],
): Promise<number> {
  // Rows whose check against the shared tier failed are checked again.
  table.follow.schedule(true);
  const flights = levels.flatMap((level) => dirty.take(level).map((flight) => ({ flight, level })));
  const namespaces = new Set([
    ...table.namespaces(),
    ...flights.map(({ flight }) => flight.namespace),
  ]);
  if (namespaces.size === 0) {
    // With nothing to write, a store that answers again is healthy again (a failed write that
    // a later change took leaves nothing dirty to prove it).
    if (status.lastError !== undefined) await status.recover(guard.store);
    if (status.lastError === undefined) status.flushed();
    return 0;
  }
  let written = 0;
  let firstError: Error | undefined;
  // Every namespace here has a removal waiting or entries to write: each sends a statement
  // (unless none of its entries could be encoded, or a late success already applied its
  // removal), so the store has answered, or a flush failed, before the status hears of it.
  for (const namespace of namespaces) {
    const own = flights.filter(({ flight }) => flight.namespace === namespace);
    try {
      await table.applyWaiting(namespace);
      for (const { flight } of own) {
        written += await writeNamespace(
          table.of(namespace),
          namespace,
          flight.entries,
          batchSize,
          status.logger,
          (keys) => dirty.dropped(flight, keys),
        );
        dirty.landed(flight);
      }
      status.answered();
    } catch (error) {
      for (const { flight, level } of own) dirty.putBack(flight, level);
      // Every namespace whose entries wait hears of it, once per flush: an `error` event,
      // `stats().errors`.
      status.failed(error, reports.get(namespace), 'flush');
      firstError ??= asError(error);
    }
  }
  if (firstError !== undefined) throw firstError;
  status.flushed();
  return written;
}
