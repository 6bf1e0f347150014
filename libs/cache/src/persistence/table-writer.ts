import { asError } from '../errors/as-error';
import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import { writeNamespace } from './batch-writer';
import { DirtyEntries, type DirtyLevel } from './dirty-entries';
import { inOrder } from './hand-off-order';
import { PendingRemovals, RemovalsDiscardedError } from './pending-removals';
import type { PersistenceStatus } from './persistence-status';
import { reportOnce, type NamespacePersistence, type Report } from './persistence-types';
import { covers, type Removal } from './removal';
import type { GuardedStore, StoreGuard } from './store-guard';
import { toRow } from './stored-entry';
import { WriteQueue } from './write-queue';
import { WriteWatch } from './write-watch';

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
 * in `DirtyEntries`, failed removals by rule in `PendingRemovals` (retried before any later
 * change of their namespace); `writeNamespace` writes entries in batches.
 */
export class TableWriter {
  private readonly dirty = new DirtyEntries();
  private readonly pending = new PendingRemovals();
  private readonly queue = new WriteQueue();
  private readonly watch = new WriteWatch();
  /**
   * The guarded store, whose deletes the database carries out after their deadline count as
   * applied (see `appliedLate`), whether a removal or a flush sent them.
   */
  private readonly store: GuardedStore = {
    upsert: (rows, batchSize) => this.guard.store.upsert(rows, batchSize),
    probe: () => this.guard.store.probe(),
    remove: (namespace, removal, batchSize) =>
      this.guard.store.remove(namespace, removal, batchSize, () =>
        this.appliedLate(namespace, removal),
      ),
  };
  /** Where each namespace hears of faults met on its behalf (flushes included). */
  private readonly reports = new Map<string, Report>();
  /** How writes reach the table; its owner moves it on at shutdown. */
  mode: WriteMode = 'behind';

  constructor(
    private readonly guard: StoreGuard,
    /** Rows per statement. */
    private readonly batchSize: number,
    private readonly status: PersistenceStatus,
    /**
     * Whether a store is in use: one was wanted at start (even if the database did not answer
     * then) or opened since. A store never in use holds no row this process wrote or loaded; one
     * that was wanted may hold rows an earlier run wrote, which a removal must reach.
     */
    private readonly storeInUse: () => boolean,
  ) {}

  /** Whether an entry or a removal waits for a flush. */
  get waiting(): boolean {
    return !this.dirty.empty || this.pending.count() > 0;
  }

  /** How many entries, and removals that failed, wait for a flush. */
  get backlog(): number {
    return this.dirty.count() + this.pending.count();
  }

  /** Resolves once every change queued so far has run, whatever its outcome. */
  settled(): Promise<void> {
    return this.queue.settled();
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
    });
  }

  /**
   * Writes every dirty entry now (PERIODIC and ON_SHUTDOWN, in one flush, so a namespace hears of
   * its failure once); returns how many rows.
   */
  flush(): Promise<number> {
    return this.flushLevels([this.dirty.periodic, this.dirty.onShutdown]);
  }

  /**
   * Stops taking changes: the store is closing. Removals still waiting for a retry (by rule, and
   * the pending deletes of keys) are discarded: their rows stay in the table (and `loadOnStartup`
   * would load them again), so each namespace concerned hears of it and it is logged.
   */
  stop(): void {
    this.mode = 'stopped';
    const discarded = this.dirty.discardDeletes();
    for (const namespace of this.pending.namespaces())
      discarded.set(namespace, (discarded.get(namespace) ?? 0) + this.pending.count(namespace));
    for (const [namespace, count] of discarded) {
      const error = new RemovalsDiscardedError(namespace, count);
      this.status.logger.error(error.message);
      this.reports.get(namespace)?.('close', error);
    }
    this.pending.clear();
  }

  /** Writes the PERIODIC entries (every `flushInterval`); returns how many rows. */
  flushPeriodic(): Promise<number> {
    return this.flushLevels([this.dirty.periodic]);
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
        await this.retryRemovals(namespace);
        await this.store.upsert([toRow(namespace, key, entry)], 1);
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
          await this.retryRemovals(namespace);
          await this.removeRows(namespace, removal);
          this.status.answered();
        } catch (error) {
          // Retried by the next flush, before any change made after it reaches the table.
          if (!('keys' in removal)) this.pending.add(namespace, removal);
          else
            for (const key of removal.keys)
              if (!this.dirty.isDirty(namespace, key) && !since.has(key))
                this.dirty.mark(this.dirty.periodic, namespace, key, null);
          this.status.failed(error, report, 'unpersist');
        }
        for (const [key, entry] of since) {
          const deferred = entry.persistence !== PersistenceLevel.ON_CHANGE;
          if (deferred && covers(removal, key, entry) && !this.dirty.isDirty(namespace, key))
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

  private flushLevels(levels: readonly DirtyLevel[]): Promise<number> {
    return this.queue.enqueue(() => this.flushNow(levels));
  }

  private async flushNow(levels: readonly DirtyLevel[]): Promise<number> {
    const flights = levels.flatMap((level) =>
      this.dirty.take(level).map((flight) => ({ flight, level })),
    );
    const namespaces = new Set([
      ...this.pending.namespaces(),
      ...flights.map(({ flight }) => flight.namespace),
    ]);
    if (namespaces.size === 0) {
      // With nothing to write, a store that answers again is healthy again (a failed write that
      // a later change took leaves nothing dirty to prove it).
      if (this.status.lastError !== undefined) await this.status.recover(this.store);
      if (this.status.lastError === undefined) this.status.flushed();
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
        await this.retryRemovals(namespace);
        for (const { flight } of own) {
          written += await writeNamespace(
            this.store,
            namespace,
            flight.entries,
            this.batchSize,
            this.status.logger,
            (keys) => this.dirty.dropped(flight, keys),
          );
          this.dirty.landed(flight);
        }
        this.status.answered();
      } catch (error) {
        for (const { flight, level } of own) this.dirty.putBack(flight, level);
        // Every namespace whose entries wait hears of it, once per flush: an `error` event,
        // `stats().errors`.
        this.status.failed(error, this.reports.get(namespace), 'flush');
        firstError ??= asError(error);
      }
    }
    if (firstError !== undefined) throw firstError;
    this.status.flushed();
    return written;
  }

  /** Deletes the rows `removal` covers, and those of the keys memory alone held. */
  private async removeRows(namespace: string, removal: Removal): Promise<void> {
    await this.removeStatement(namespace, removal);
    const held = 'held' in removal ? removal.held : undefined;
    if (held?.length) await this.removeStatement(namespace, { keys: held });
  }

  /** One delete; one carried out after its deadline counts as applied (`appliedLate`). */
  private async removeStatement(namespace: string, statement: Removal): Promise<void> {
    await this.store.remove(namespace, statement, this.batchSize);
  }

  /**
   * A delete failed its deadline and the database carried it out later, before any later
   * statement ran (`StoreGuard`): what it removed no longer waits to be retried, neither by rule
   * nor as the pending deletes of its keys, so a delete that always outlasts the deadline does not
   * hold its namespace's later changes forever, nor is sent again over rows written since.
   */
  private appliedLate(namespace: string, statement: Removal): void {
    this.pending.applied(namespace, statement);
    if ('keys' in statement) this.dirty.deleted(namespace, statement.keys);
  }

  /** Applies the failed removals of `namespace`, which go before any later change of it. */
  private retryRemovals(namespace: string): Promise<void> {
    return this.pending.retry(namespace, (statement) => this.removeStatement(namespace, statement));
  }
}
