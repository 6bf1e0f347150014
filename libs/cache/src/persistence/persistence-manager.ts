import { asError } from '../errors/as-error';
import { Logger } from '@nestjs/common';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import type { CircuitBreaker } from '../stack/circuit-breaker';
import { PersistenceLevel } from '../options/persistence-level';
import type { ResolvedPersistenceOptions } from '../options/resolved-options';
import type { CacheEntry } from '../tiers/cache-entry';
import { answers, writeNamespace } from './batch-writer';
import { DirtyEntries, type DirtyLevel } from './dirty-entries';
import { inOrder } from './hand-off-order';
import { PendingRemovals } from './pending-removals';
import {
  reportOnce,
  type NamespacePersistence,
  type PersistenceHealth,
  type Report,
} from './persistence-types';
import { covers, type Removal } from './removal';
import { StoreGuard } from './store-guard';
import { StorageStore } from './storage-store';
import { loadStoragePeers } from '../optional-peer';
import { toRow } from './stored-entry';
import { loadNamespace, type RestorableNamespace } from './warm-loader';
import { WriteQueue } from './write-queue';
import { WriteWatch } from './write-watch';

export type { Removal } from './removal';
export type { NamespacePersistence, PersistenceHealth, PersistenceTurn } from './persistence-types';
export type { RestorableNamespace } from './warm-loader';

/**
 * Writes entries to `cache_storage` when their persistence level says: ON_CHANGE at once,
 * PERIODIC every `flushInterval`, ON_SHUTDOWN at shutdown (and on `flush()`). Each namespace's
 * changes arrive in the order its deciding tier applied them (`HandOffOrder`); every change to
 * the table goes through one queue (`WriteQueue`), so a slow flush can never overwrite a newer
 * write or bring back a deleted row. Every statement has a deadline and a circuit (`StoreGuard`),
 * and no caller waits for the table longer than `postgresCommandTimeout`: what could not be
 * written stays queued or dirty, unless a newer write or a removal took its key meanwhile. Dirty
 * entries wait in `DirtyEntries`, failed removals by rule in `PendingRemovals` (retried before
 * any later change of their namespace); `writeNamespace` writes entries in batches;
 * `loadNamespace` warms namespaces at start. This class owns the store, the timers and the
 * health of persistence.
 */
export class PersistenceManager {
  private static readonly logger = new Logger('CachePersistence');
  private store?: Promise<StorageStore>;
  private readonly dirty = new DirtyEntries();
  private readonly pending = new PendingRemovals();
  private readonly queue = new WriteQueue();
  private readonly watch = new WriteWatch();
  private readonly guard: StoreGuard;
  /** Where each namespace hears of faults met on its behalf (flushes included). */
  private readonly reports = new Map<string, Report>();
  private timers: NodeJS.Timeout[] = [];
  private lastError?: string;
  private lastFlushAt?: Date;
  /** Set once the shutdown flush began: from then on every level writes through. */
  private draining = false;
  private closed = false;

  constructor(
    private readonly options: ResolvedPersistenceOptions,
    /** The application's `prefix`: it scopes every row this instance reads or writes. */
    private readonly prefix: string,
    /** The store's circuit; by default one of its own (`CACHE_DEFAULTS.postgres*`). */
    breaker?: CircuitBreaker,
  ) {
    this.guard = new StoreGuard(() => this.open(), breaker);
  }

  /** The circuit of the store, shared with the PostgreSQL tier. */
  get breaker(): CircuitBreaker {
    return this.guard.breaker;
  }

  /** Opens the store, loads persisted namespaces, and starts the flush and cleanup timers. */
  async start(namespaces: readonly RestorableNamespace[], eager: boolean): Promise<void> {
    // A missing package is a setup error, not an outage: it fails the start, naming the package.
    if (eager) loadStoragePeers(this.options.dataSource);
    try {
      if (eager) await this.open();
      if (this.options.loadOnStartup && this.store) {
        const store = await this.open();
        for (const namespace of namespaces)
          await loadNamespace(store, namespace, this.options.pageSize, PersistenceManager.logger);
      }
    } catch (error) {
      // A database that is down or unprepared degrades persistence; it never stops the app.
      this.failed(error, undefined, 'start');
    }
    const flush = setInterval(
      () => void this.flushLevel(this.dirty.periodic).catch(() => undefined),
      this.options.flushInterval,
    );
    const cleanup = setInterval(
      () => void this.cleanup().catch(() => undefined),
      this.options.cleanupInterval,
    );
    flush.unref();
    cleanup.unref();
    this.timers = [flush, cleanup];
  }

  /**
   * The persistence of one namespace, for its tier stack. Writes and removals reach it through
   * turns, in the order the deciding tier applied them, so a removal drops at once the dirty
   * entries of its moment and leaves any written after it.
   */
  for(namespace: string, report: Report): NamespacePersistence {
    this.reports.set(namespace, report);
    return inOrder({
      written: (key, entry) => this.written(namespace, key, entry, report),
      removed: (removal) => this.removed(namespace, removal, report),
      dropped: (key) => this.dirty.drop(namespace, key),
    });
  }

  /** Writes every dirty entry now (PERIODIC and ON_SHUTDOWN); returns how many rows. */
  async flush(): Promise<number> {
    const results = await Promise.allSettled([
      this.flushLevel(this.dirty.periodic),
      this.flushLevel(this.dirty.onShutdown),
    ]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw asError(failure.reason);
    return results.reduce(
      (sum, result) => sum + (result.status === 'fulfilled' ? result.value : 0),
      0,
    );
  }

  /**
   * The shutdown flush: stops the timers and writes PERIODIC and ON_SHUTDOWN entries. The HTTP
   * server may still answer requests until the app closes it, so from here on every write goes
   * to the table before it resolves, as ON_CHANGE does; nothing answered is lost.
   */
  async drain(): Promise<void> {
    this.draining = true;
    this.timers.forEach(clearInterval);
    this.timers = [];
    await this.queue.settled();
    if (this.waiting) await this.flush().catch(() => undefined);
  }

  /**
   * Drains if that has not happened, writes whatever is still dirty, then closes the store. Each
   * statement has its deadline; closing the connection waits at most one more: a frozen
   * database never holds shutdown.
   */
  async close(): Promise<void> {
    if (!this.draining) await this.drain();
    await this.queue.settled();
    if (this.waiting) await this.flush().catch(() => undefined);
    await this.queue.settled();
    this.closed = true;
    const closing = this.store?.then((store) => store.close());
    this.store = undefined;
    if (closing) await this.guard.within(closing).catch(() => undefined);
  }

  /** The store, opened on first use. */
  openStore(): Promise<StorageStore> {
    return this.open();
  }

  /** Whether the store answered its last call, how many entries wait, the circuit, the last flush. */
  health(): PersistenceHealth {
    return {
      healthy: this.lastError === undefined,
      dirty: this.dirty.count() + this.pending.count(),
      ...(this.lastError && { lastError: this.lastError }),
      ...(this.inUse && { circuit: this.guard.breaker.current }),
      ...(this.lastFlushAt && { lastFlushAt: this.lastFlushAt.toISOString() }),
    };
  }

  /**
   * `health()`, with the store checked now: a read (`SELECT 1` of the table) that must answer
   * within `timeout` ms, beside the circuit (a health check never opens or closes it).
   */
  async check(timeout: number): Promise<PersistenceHealth> {
    if (!this.inUse) return this.health();
    const probe = this.open().then((store) => store.probe());
    try {
      await this.guard.within(probe, timeout, 'check the database');
      return { ...this.health(), healthy: true };
    } catch (error) {
      probe.catch(() => undefined);
      return { ...this.health(), healthy: false, lastError: asError(error).message };
    }
  }

  /** Whether an entry or a removal waits for a flush. */
  private get waiting(): boolean {
    return !this.dirty.empty || this.pending.count() > 0;
  }

  /** Whether a store is configured or was opened: there is one to check. */
  private get inUse(): boolean {
    return (this.options.configured || this.store !== undefined) && !this.closed;
  }

  private async written(
    namespace: string,
    key: string,
    entry: CacheEntry,
    callerReport: Report,
  ): Promise<void> {
    if (entry.persistence === PersistenceLevel.MEMORY_ONLY || this.closed) return;
    const report = reportOnce(callerReport);
    this.watch.written(namespace, key, entry);
    if (entry.persistence !== PersistenceLevel.ON_CHANGE && !this.draining) {
      this.dirty.markEntry(namespace, key, entry);
      return;
    }
    // This write supersedes any older state, dirty or in flight.
    const flight = this.dirty.send(namespace, key, entry);
    const writing = this.queue.enqueue(async () => {
      try {
        await this.retryRemovals(namespace);
        await this.guard.store.upsert([toRow(namespace, key, entry)], 1);
        this.dirty.landed(flight);
        this.lastError = undefined;
      } catch (error) {
        // Not lost: the next flush writes it, unless a newer write or a removal came since.
        this.dirty.putBack(flight, this.dirty.periodic);
        this.failed(error, report, 'persist', key);
      }
    });
    // The caller waits a bounded time; the write keeps its place in the queue.
    await this.guard.within(writing).catch((error) => this.failed(error, report, 'persist', key));
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
    // A store never opened holds no row this process could have written or loaded.
    if (this.closed || (!this.store && !this.dirty.holds(namespace))) return;
    const report = reportOnce(callerReport);
    this.dirty.forgetCovered(namespace, removal);
    // Writes an earlier removal watches and this one takes are no longer to be written back.
    this.watch.forgetCovered(namespace, removal);
    const since = this.watch.watch(namespace);
    const removing = this.queue.enqueue(async () => {
      // Watched until the write-back is done: a later removal, or a newer write, meets
      // what `since` holds, so no state the cache no longer has is written back.
      try {
        if (!this.store) return;
        try {
          await this.retryRemovals(namespace);
          await this.removeRows(namespace, removal);
          this.lastError = undefined;
        } catch (error) {
          // Retried by the next flush, before any change made after it reaches the table.
          if (!('keys' in removal)) this.pending.add(namespace, removal);
          else
            for (const key of removal.keys)
              if (!this.dirty.isDirty(namespace, key) && !since.has(key))
                this.dirty.mark(this.dirty.periodic, namespace, key, null);
          this.failed(error, report, 'unpersist');
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
    await this.guard.within(removing).catch((error) => this.failed(error, report, 'unpersist'));
  }

  private flushLevel(level: DirtyLevel): Promise<number> {
    return this.queue.enqueue(() => this.flushNow(level));
  }

  private async flushNow(level: DirtyLevel): Promise<number> {
    const flights = new Map(this.dirty.take(level).map((flight) => [flight.namespace, flight]));
    const namespaces = new Set([...this.pending.namespaces(), ...flights.keys()]);
    if (namespaces.size === 0) {
      // With nothing to write, a store that answers again is healthy again (a failed write that
      // a later change took leaves nothing dirty to prove it).
      if (this.lastError !== undefined) await this.recover();
      if (this.lastError === undefined) this.lastFlushAt = new Date();
      return 0;
    }
    let written = 0;
    let firstError: Error | undefined;
    for (const namespace of namespaces) {
      const flight = flights.get(namespace);
      try {
        await this.retryRemovals(namespace);
        if (flight) {
          written += await writeNamespace(
            this.guard.store,
            namespace,
            flight.entries,
            this.options.batchSize,
            PersistenceManager.logger,
          );
          this.dirty.landed(flight);
        }
        this.lastError = undefined;
      } catch (error) {
        if (flight) this.dirty.putBack(flight, level);
        // Every namespace whose entries wait hears of it: an `error` event, `stats().errors`.
        this.failed(error, this.reports.get(namespace), 'flush');
        firstError ??= asError(error);
      }
    }
    if (firstError !== undefined) throw firstError;
    this.lastFlushAt = new Date();
    return written;
  }

  /** Deletes the rows `removal` covers, and those of the keys memory alone held. */
  private async removeRows(namespace: string, removal: Removal): Promise<void> {
    await this.guard.store.remove(namespace, removal, this.options.batchSize);
    const held = 'held' in removal ? removal.held : undefined;
    if (held?.length)
      await this.guard.store.remove(namespace, { keys: held }, this.options.batchSize);
  }

  /** Applies the failed removals of `namespace`, which go before any later change of it. */
  private retryRemovals(namespace: string): Promise<void> {
    return this.pending.retry(namespace, (removal) => this.removeRows(namespace, removal));
  }

  /** Clears the last error once the store answers a read. */
  private async recover(): Promise<void> {
    try {
      if (await answers(this.guard.store)) this.lastError = undefined;
    } catch {
      // Still unreachable: the next flush tries again.
    }
  }

  private async cleanup(): Promise<void> {
    if (!this.store) return;
    const store = await this.store;
    const { batchSize } = this.options;
    // Bounded batches, so a large backlog never holds one long transaction.
    for (let round = 0; round < CACHE_DEFAULTS.cleanupRounds; round++) {
      if ((await store.deleteExpired(batchSize)) < batchSize) return;
    }
  }

  private open(): Promise<StorageStore> {
    if (this.closed) return Promise.reject(new Error('persistence is closed'));
    if (!this.store) {
      const opening = StorageStore.open(this.options.dataSource, this.prefix, this.options.migrate);
      this.store = opening;
      opening.catch(() => {
        if (this.store === opening) this.store = undefined;
      });
    }
    return this.store;
  }

  private failed(
    error: unknown,
    report: Report | undefined,
    operation: string,
    key?: string,
  ): void {
    const cause = asError(error);
    this.lastError = cause.message;
    PersistenceManager.logger.error(
      `${operation} failed; entries stay dirty for the next flush: ${cause.message}`,
    );
    report?.(operation, cause, key);
  }
}
