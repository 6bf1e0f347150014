import { asError } from '../errors/as-error';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import type { CircuitBreaker } from '../stack/circuit-breaker';
import type { ResolvedPersistenceOptions } from '../options/resolved-options';
import { PersistenceStatus } from './persistence-status';
import type { NamespacePersistence, PersistenceHealth, Report } from './persistence-types';
import { StoreGuard } from './store-guard';
import { StorageStore } from './storage-store';
import { embeddedStoreExists } from './storage-connection';
import { loadStoragePeers } from '../optional-peer';
import { TableWriter } from './table-writer';
import { loadNamespace, type PageSource, type RestorableNamespace } from './warm-loader';
import { every } from '../time-limit';

export type { Removal } from './removal';
export type { NamespacePersistence, PersistenceHealth, PersistenceTurn } from './persistence-types';
export type { RestorableNamespace } from './warm-loader';

/**
 * The lifecycle and health of persistence: opens the store (`StorageStore`, on first use or
 * eagerly at start), warms namespaces from it at start (`loadNamespace`), flushes PERIODIC
 * entries every `flushInterval` and deletes expired rows every `cleanupInterval`, writes
 * ON_SHUTDOWN entries at shutdown (and on `flush()`), then closes the store. Changes reach
 * `cache_storage` through one `TableWriter`, in order; every statement goes through the store's
 * guard (`StoreGuard`), whose circuit the PostgreSQL tier shares. `health()` and `check()` report
 * what `PersistenceStatus` recorded, with the backlog and the circuit.
 */
export class PersistenceManager {
  private readonly status = new PersistenceStatus();
  private readonly guard: StoreGuard;
  private readonly writer: TableWriter;
  private store?: Promise<StorageStore>;
  /** Whether a store was wanted at start (configured or needed), whether or not it opened. */
  private storeWanted = false;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    private readonly options: ResolvedPersistenceOptions,
    /** The application's `prefix`: it scopes every row this instance reads or writes. */
    private readonly prefix: string,
    /** The store's circuit; by default one of its own (`CACHE_DEFAULTS.postgres*`). */
    breaker?: CircuitBreaker,
  ) {
    this.guard = new StoreGuard(() => this.open(), breaker);
    this.writer = new TableWriter(
      this.guard,
      options.batchSize,
      this.status,
      () => this.storeWanted || this.store !== undefined,
    );
  }

  /** The circuit of the store, shared with the PostgreSQL tier. */
  get breaker(): CircuitBreaker {
    return this.guard.breaker;
  }

  /** Opens the store, loads persisted namespaces, and starts the flush and cleanup timers. */
  async start(namespaces: readonly RestorableNamespace[], eager: boolean): Promise<void> {
    // A missing package is a setup error, not an outage: it fails the start, naming the package.
    if (eager) loadStoragePeers(this.options.dataSource);
    // Entries persisted by a per-call level, or under an earlier run's settings, are in the
    // default store's file even when no namespace persists now.
    const earlierRows =
      this.options.loadOnStartup && this.options.dataSource === undefined && embeddedStoreExists();
    this.storeWanted = eager || earlierRows;
    try {
      if (this.storeWanted) {
        // A database frozen at start must not hold the app's start: connecting (with migrating)
        // and each page read wait at most a statement's deadline. Reads change nothing, so one
        // given up on needs no place in the order of the table's changes.
        const store = await this.guard.within(this.open());
        const pages: PageSource = {
          forEachPage: (name, size, visit) =>
            store.forEachPage(name, size, visit, (read) => this.guard.within(read())),
        };
        if (this.options.loadOnStartup) {
          for (const namespace of namespaces)
            await loadNamespace(pages, namespace, this.options.pageSize, this.status.logger);
        }
      }
    } catch (error) {
      // A database that is down or unprepared degrades persistence; it never stops the app.
      this.status.failed(error, undefined, 'start');
    }
    this.timers = [
      every(this.options.flushInterval, () => this.writer.flushPeriodic()),
      every(this.options.cleanupInterval, () => this.cleanup()),
    ].filter((timer) => timer !== undefined);
  }

  /**
   * The persistence of one namespace, for its tier stack. Writes and removals reach it through
   * turns, in the order the deciding tier applied them, so a removal drops at once the dirty
   * entries of its moment and leaves any written after it.
   */
  for(namespace: string, report: Report): NamespacePersistence {
    return this.writer.for(namespace, report);
  }

  /** Writes every dirty entry now (PERIODIC and ON_SHUTDOWN); returns how many rows. */
  flush(): Promise<number> {
    return this.writer.flush();
  }

  /**
   * The shutdown flush: stops the timers and writes PERIODIC and ON_SHUTDOWN entries. The HTTP
   * server may still answer requests until the app closes it, so from here on every write goes
   * to the table before it resolves, as ON_CHANGE does; nothing answered is lost.
   */
  async drain(): Promise<void> {
    this.writer.mode = 'through';
    this.timers.forEach(clearInterval);
    this.timers = [];
    await this.writer.settled();
    if (this.writer.waiting) await this.flush().catch(() => undefined);
  }

  /**
   * Drains if that has not happened, writes whatever is still dirty, then closes the store. Each
   * statement has its deadline; closing the connection waits at most one more: a frozen
   * database never holds shutdown.
   */
  async close(): Promise<void> {
    if (this.writer.mode === 'behind') await this.drain();
    await this.writer.settled();
    if (this.writer.waiting) await this.flush().catch(() => undefined);
    await this.writer.settled();
    this.closed = true;
    this.writer.stop();
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
    const { lastError, lastFlushAt } = this.status;
    return {
      healthy: lastError === undefined,
      dirty: this.writer.backlog,
      ...(lastError && { lastError }),
      ...(this.inUse && { circuit: this.guard.breaker.current }),
      ...(lastFlushAt && { lastFlushAt: lastFlushAt.toISOString() }),
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

  /** Whether a store is configured or was opened: there is one to check. */
  private get inUse(): boolean {
    return (this.options.configured || this.store !== undefined) && !this.closed;
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
}
