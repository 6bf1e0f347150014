import { Logger } from '@nestjs/common';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import { PersistenceLevel } from '../options/persistence-level';
import type { ResolvedPersistenceOptions } from '../options/resolved-options';
import type { CacheEntry } from '../tiers/cache-entry';
import { answers, writeNamespace } from './batch-writer';
import { DirtyEntries, type DirtyLevel } from './dirty-entries';
import { covers, type Removal } from './removal';
import { StorageStore } from './storage-store';
import { loadStoragePeers } from '../optional-peer';
import { toRow } from './stored-entry';
import { loadNamespace, type RestorableNamespace } from './warm-loader';
import { WriteQueue } from './write-queue';
import { WriteWatch } from './write-watch';

export type { Removal } from './removal';
export type { RestorableNamespace } from './warm-loader';

/** What a namespace tells its persistence. */
export interface NamespacePersistence {
  /** After a write: ON_CHANGE entries are written before this resolves, others marked dirty. */
  written(key: string, entry: CacheEntry): Promise<void> | void;
  /** After deletes and invalidations. */
  removed(removal: Removal): Promise<void> | void;
}

type Report = (operation: string, error: Error, key?: string) => void;

/**
 * Writes entries to `cache_storage` when their persistence level says: ON_CHANGE at once,
 * PERIODIC every `flushInterval`, ON_SHUTDOWN at shutdown (and on `flush()`). Every change to the
 * table goes through one queue (`WriteQueue`), so a slow flush can never overwrite a newer write
 * or bring back a deleted row. Dirty entries wait in `DirtyEntries`; `writeNamespace` writes them
 * in batches; `loadNamespace` warms namespaces at start. This class owns the store, the timers
 * and the health of persistence.
 */
export class PersistenceManager {
  private static readonly logger = new Logger('CachePersistence');
  private store?: Promise<StorageStore>;
  private readonly dirty = new DirtyEntries();
  private readonly queue = new WriteQueue();
  private readonly watch = new WriteWatch();
  private timers: NodeJS.Timeout[] = [];
  private lastError?: string;
  /** Set once the shutdown flush began: from then on every level writes through. */
  private draining = false;
  private closed = false;

  constructor(
    private readonly options: ResolvedPersistenceOptions,
    /** The application's `prefix`: it scopes every row this instance reads or writes. */
    private readonly prefix: string,
  ) {}

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
   * The persistence of one namespace, for its tier stack. `inCallOrder`: writes and removals
   * reach persistence in the order the deciding tier applied them (memory is the only tier, and
   * applies each in the calling tick), so a removal drops at once the dirty entries of its
   * moment and leaves any written after it. With a shared tier deciding, the calls may arrive
   * out of its order, and a removal forgets the entries it covers when its turn comes.
   */
  for(namespace: string, report: Report, inCallOrder = false): NamespacePersistence {
    return {
      written: (key, entry) => this.written(namespace, key, entry, report),
      removed: (removal) => this.removed(namespace, removal, report, inCallOrder),
    };
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
    if (!this.dirty.empty) await this.flush().catch(() => undefined);
  }

  /** Drains if that has not happened, writes whatever is still dirty, then closes the store. */
  async close(): Promise<void> {
    if (!this.draining) await this.drain();
    await this.queue.settled();
    if (!this.dirty.empty) await this.flush().catch(() => undefined);
    await this.queue.settled();
    this.closed = true;
    const store = await this.store?.catch(() => undefined);
    await store?.close();
    this.store = undefined;
  }

  /** The store, opened on first use. */
  openStore(): Promise<StorageStore> {
    return this.open();
  }

  /** Whether the store answered its last call, and how many entries wait for a flush. */
  health(): { readonly healthy: boolean; readonly dirty: number; readonly lastError?: string } {
    return {
      healthy: this.lastError === undefined,
      dirty: this.dirty.count(),
      ...(this.lastError && { lastError: this.lastError }),
    };
  }

  private async written(
    namespace: string,
    key: string,
    entry: CacheEntry,
    report: Report,
  ): Promise<void> {
    if (entry.persistence === PersistenceLevel.MEMORY_ONLY || this.closed) return;
    this.watch.written(namespace, key, entry);
    if (entry.persistence !== PersistenceLevel.ON_CHANGE && !this.draining) {
      this.dirty.markEntry(namespace, key, entry);
      return;
    }
    await this.queue.enqueue(async () => {
      this.dirty.forget(namespace, [key]);
      try {
        await (await this.open()).upsert([toRow(namespace, key, entry)], 1);
        this.lastError = undefined;
      } catch (error) {
        // Not lost: the next flush writes it.
        this.dirty.mark(this.dirty.periodic, namespace, key, entry);
        this.failed(error, report, 'persist', key);
      }
    });
  }

  /**
   * Mirrors a removal in the table. In call order (see `for`), the dirty entries it covers are
   * forgotten at once; otherwise when its turn in the queue comes, after any flush that took
   * them, so nothing comes back. The rows go in the queue either way. In call order, entries
   * written after the call are newer: if a flush queued earlier wrote them before the delete
   * ran, the delete took their rows too, so they are marked dirty again to be written back.
   */
  private async removed(
    namespace: string,
    removal: Removal,
    report: Report,
    inCallOrder: boolean,
  ): Promise<void> {
    // A store never opened holds no row this process could have written or loaded.
    if (this.closed || (!this.store && this.dirty.count(namespace) === 0)) return;
    if (inCallOrder) this.dirty.forgetCovered(namespace, removal);
    const since = inCallOrder ? this.watch.watch(namespace) : undefined;
    await this.queue.enqueue(async () => {
      if (since) this.watch.unwatch(namespace, since);
      else this.dirty.forgetCovered(namespace, removal);
      if (!this.store) return;
      try {
        await (await this.open()).remove(namespace, removal, this.options.batchSize);
        this.lastError = undefined;
      } catch (error) {
        if ('keys' in removal)
          for (const key of removal.keys)
            this.dirty.mark(this.dirty.periodic, namespace, key, null);
        this.failed(error, report, 'unpersist');
      }
      for (const [key, entry] of since ?? []) {
        const deferred = entry.persistence !== PersistenceLevel.ON_CHANGE;
        if (deferred && covers(removal, key, entry) && !this.dirty.isDirty(namespace, key))
          this.dirty.mark(this.dirty.levelOf(entry), namespace, key, entry);
      }
    });
  }

  private flushLevel(level: DirtyLevel): Promise<number> {
    return this.queue.enqueue(() => this.flushNow(level));
  }

  private async flushNow(level: DirtyLevel): Promise<number> {
    if (level.size === 0) {
      // With nothing to write, a store that answers again is healthy again (a failed
      // invalidation leaves nothing dirty to prove it).
      if (this.lastError !== undefined) await this.recover();
      return 0;
    }
    let store: StorageStore;
    try {
      store = await this.open();
    } catch (error) {
      this.failed(error, undefined, 'flush');
      throw error;
    }
    let written = 0;
    let firstError: Error | undefined;
    for (const [namespace, entries] of this.dirty.take(level)) {
      try {
        written += await writeNamespace(
          store,
          namespace,
          entries,
          this.options.batchSize,
          PersistenceManager.logger,
        );
        this.lastError = undefined;
      } catch (error) {
        this.dirty.putBack(level, namespace, entries);
        this.failed(error, undefined, 'flush');
        firstError ??= asError(error);
      }
    }
    if (firstError !== undefined) throw firstError;
    return written;
  }

  /** Clears the last error once the store answers a read. */
  private async recover(): Promise<void> {
    try {
      if (await answers(await this.open())) this.lastError = undefined;
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

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
