import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import { DirtyEntries, type DirtyLevel } from './dirty-entries';
import { inOrder } from './hand-off-order';
import { flushLevels, type FlushContext } from './level-flush';
import { OrderedTable } from './ordered-table';
import { RemovalsDiscardedError } from './pending-removals';
import type { PersistenceStatus } from './persistence-status';
import { reportOnce, type NamespacePersistence, type Report } from './persistence-types';
import { coverage, type Removal } from './removal';
import type { StoreGuard } from './store-guard';
import { toRow } from './stored-entry';
import { WriteQueue } from './write-queue';
import { WriteWatch } from './write-watch';
import { loggedMessage } from '../logging/log-text';

/**
 * How writes reach the table: `behind`, PERIODIC and ON_SHUTDOWN entries wait for their flush;
 * `through` (the shutdown flush began), every write reaches the table before it resolves, as
 * ON_CHANGE does; `stopped` (the store is closing), no change is taken any more.
 */
export type WriteMode = 'behind' | 'through' | 'stopped';

/**
 * Brings the changes of every namespace to `cache_storage` in order: ON_CHANGE entries at once,
 * PERIODIC and ON_SHUTDOWN ones when their level is flushed. Each namespace's changes arrive in
 * the order its deciding tier applied them (`HandOffOrder`); every change to the table goes
 * through one queue (`WriteQueue`), so a slow flush can never overwrite a newer write or bring
 * back a deleted row. Every statement has a deadline and a circuit (`StoreGuard`), and no caller
 * waits for the table longer than `postgresCommandTimeout`: what could not be written stays
 * queued or dirty, unless a newer write or a removal took its key meanwhile. Dirty entries wait
 * in `DirtyEntries`, failed removals by rule in `OrderedTable` (which applies them before any
 * later statement of their namespace); `flushLevels` writes the dirty entries of a flush.
 */
export class TableWriter {
  private readonly dirty = new DirtyEntries();
  private readonly table: OrderedTable;
  private readonly queue = new WriteQueue();
  private readonly watch = new WriteWatch();
  /** Where each namespace hears of faults met on its behalf (flushes included). */
  private readonly reports = new Map<string, Report>();
  private readonly flushing: FlushContext;
  /** How writes reach the table; its owner moves it on at shutdown. */
  mode: WriteMode = 'behind';

  constructor(
    private readonly guard: StoreGuard,
    /** Rows per statement. */
    batchSize: number,
    private readonly status: PersistenceStatus,
    /**
     * Whether a store is in use: one was wanted at start (even if the database did not answer
     * then) or opened since. A store never in use holds no row this process wrote or loaded; one
     * that was wanted may hold rows an earlier run wrote, which a removal must reach.
     */
    private readonly storeInUse: () => boolean,
  ) {
    this.table = new OrderedTable(guard, this.dirty, batchSize, this.queue);
    const { dirty, table, reports } = this;
    this.flushing = { guard, dirty, table, status, reports, batchSize };
  }

  /** Whether an entry or a removal waits for a flush. */
  get waiting(): boolean {
    return !this.dirty.empty || this.table.waiting() > 0;
  }

  /** How many entries, and removals that failed, wait for a flush. */
  get backlog(): number {
    return this.dirty.count() + this.table.waiting();
  }

  /** Resolves once every change queued so far has run (whatever its outcome) and was checked. */
  async settled(): Promise<void> {
    await this.queue.settled();
    await this.table.follow.settled();
  }

  /**
   * The persistence of one namespace: its changes, handed over in the order its deciding tier
   * applied them (`inOrder`); faults met on its behalf are told to `report`.
   */
  for(namespace: string, report: Report): NamespacePersistence {
    this.reports.set(namespace, report);
    return inOrder({
      written: (key, entry) => this.written(namespace, key, entry, report),
      removed: (removal) => this.removed(namespace, removal, report),
      dropped: (key) => this.dirty.drop(namespace, key),
      follow: (shared) => this.table.follow.follow(namespace, shared),
    });
  }

  /** Writes every dirty entry now, PERIODIC and ON_SHUTDOWN in one flush; returns how many rows. */
  flush(): Promise<number> {
    return this.queueFlush([this.dirty.periodic, this.dirty.onShutdown]);
  }

  /**
   * Stops taking changes: the store is closing. Removals still waiting for a retry (by rule, and
   * the pending deletes of keys) are discarded: their rows stay in the table (and `loadOnStartup`
   * would load them again), so each namespace concerned hears of it and it is logged.
   */
  stop(): void {
    this.mode = 'stopped';
    for (const [namespace, count] of this.table.discard()) {
      const error = new RemovalsDiscardedError(namespace, count);
      this.status.logger.error(loggedMessage(error));
      this.reports.get(namespace)?.('close', error);
    }
  }

  /** Writes the PERIODIC entries (every `flushInterval`); returns how many rows. */
  flushPeriodic(): Promise<number> {
    return this.queueFlush([this.dirty.periodic]);
  }

  private async written(
    namespace: string,
    key: string,
    entry: CacheEntry,
    callerReport: Report,
  ): Promise<void> {
    if (entry.persistence === PersistenceLevel.MEMORY_ONLY || this.mode === 'stopped') return;
    const report = reportOnce(callerReport);
    this.watch.written(namespace, key, entry);
    if (entry.persistence !== PersistenceLevel.ON_CHANGE && this.mode === 'behind') {
      this.dirty.markEntry(namespace, key, entry);
      return;
    }
    // This write supersedes any older state, dirty or in flight.
    const flight = this.dirty.send(namespace, key, entry);
    const writing = this.queue.enqueue(async () => {
      try {
        await this.table.of(namespace).upsert([toRow(namespace, key, entry)], 1);
        this.dirty.landed(flight);
        this.status.answered();
      } catch (error) {
        // Not lost: the next flush writes it, unless a newer write or a removal came since.
        this.dirty.putBack(flight, this.dirty.periodic);
        this.status.failed(error, report, 'persist', key);
      }
    });
    // The caller waits a bounded time; the write keeps its place in the queue.
    await this.guard
      .within(writing)
      .catch((error) => this.status.failed(error, report, 'persist', key));
  }

  /**
   * Mirrors a removal in the table. Changes arrive in the deciding tier's order (see `for`), so
   * the dirty entries it covers are forgotten at once and the rows go in the queue. Entries
   * written after the call are newer: if a flush queued earlier wrote them before the delete
   * ran, the delete took their rows too, so they are marked dirty again to be written back. A
   * removal that fails is retried: of keys, as their pending deletes; by rule, whole, before any
   * later change of the namespace reaches the table.
   */
  private async removed(namespace: string, removal: Removal, callerReport: Report): Promise<void> {
    if (this.mode === 'stopped' || (!this.storeInUse() && !this.dirty.holds(namespace))) return;
    const report = reportOnce(callerReport);
    this.dirty.forgetCovered(namespace, removal);
    // Writes an earlier removal watches and this one takes are no longer to be written back.
    this.watch.forgetCovered(namespace, removal);
    const since = this.watch.watch(namespace);
    const removing = this.queue.enqueue(async () => {
      // Watched until the write-back is done: a later removal, or a newer write, meets
      // what `since` holds, so no state the cache no longer has is written back.
      try {
        if (!this.storeInUse()) return;
        try {
          await this.table.remove(namespace, removal);
          this.status.answered();
        } catch (error) {
          // Retried by the next flush, before any change made after it reaches the table.
          if (!('keys' in removal)) this.table.keep(namespace, removal);
          else
            for (const key of removal.keys)
              if (!this.dirty.isDirty(namespace, key) && !since.has(key))
                this.dirty.mark(this.dirty.periodic, namespace, key, null);
          this.status.failed(error, report, 'unpersist');
        }
        const covers = coverage(removal);
        for (const [key, entry] of since) {
          const deferred = entry.persistence !== PersistenceLevel.ON_CHANGE;
          if (deferred && covers(key, entry) && !this.dirty.isDirty(namespace, key))
            this.dirty.mark(this.dirty.levelOf(entry), namespace, key, entry);
        }
      } finally {
        this.watch.unwatch(namespace, since);
      }
    });
    await this.guard
      .within(removing)
      .catch((error) => this.status.failed(error, report, 'unpersist'));
  }

  private async queueFlush(levels: readonly DirtyLevel[]): Promise<number> {
    const rows = await this.queue.enqueue(() => flushLevels(this.flushing, levels));
    await this.table.follow.settled();
    return rows;
  }
}
