import { Logger } from '@nestjs/common';
import { PersistenceLevel } from '../options/persistence-level';
import type { ResolvedPersistenceOptions } from '../options/resolved-options';
import type { CacheEntry } from '../tiers/cache-entry';
import { StorageStore } from './storage-store';
import { fromRow, toRow } from './stored-entry';
import { covers, type Removal } from './removal';

export type { Removal } from './removal';

/** What a namespace tells its persistence. */
export interface NamespacePersistence {
  /** After a write: ON_CHANGE entries are written before this resolves, others marked dirty. */
  written(key: string, entry: CacheEntry): Promise<void> | void;
  /** After deletes and invalidations. */
  removed(removal: Removal): Promise<void> | void;
}

/** A namespace as warm start sees it. */
export interface RestorableNamespace {
  readonly name: string;
  restore(key: string, entry: CacheEntry): Promise<void>;
  fault(operation: string, error: Error, key?: string): void;
}

type Report = (operation: string, error: Error, key?: string) => void;
type Dirty = Map<string, Map<string, CacheEntry | null>>;

/**
 * Writes entries to `cache_storage` when their persistence level says: ON_CHANGE at once,
 * PERIODIC every `flushInterval`, ON_SHUTDOWN at shutdown (and on `flush()`). Every change to the
 * table goes through one queue, so a slow flush can never overwrite a newer write or bring back
 * a deleted row. Entries of a failed batch stay dirty for the next flush; rows the database
 * refuses on their own are reported and dropped. Loads persisted namespaces at start, page by
 * page, and deletes expired rows in bounded batches.
 */
export class PersistenceManager {
  private static readonly logger = new Logger('CachePersistence');
  private store?: Promise<StorageStore>;
  private readonly periodic: Dirty = new Map();
  private readonly onShutdown: Dirty = new Map();
  private timers: NodeJS.Timeout[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private lastError?: string;
  /** Set once the shutdown flush began: from then on every level writes through. */
  private draining = false;
  /** Removals in call order waiting in the queue, per namespace: what was written since each. */
  private readonly pendingRemovals = new Map<string, Set<Map<string, CacheEntry>>>();
  private closed = false;

  constructor(
    private readonly options: ResolvedPersistenceOptions,
    /** The application's `prefix`: it scopes every row this instance reads or writes. */
    private readonly prefix: string,
  ) {}

  /** Opens the store, loads persisted namespaces, and starts the flush and cleanup timers. */
  async start(namespaces: readonly RestorableNamespace[], eager: boolean): Promise<void> {
    try {
      if (eager) await this.open();
      if (this.options.loadOnStartup && this.store) {
        for (const namespace of namespaces) await this.load(namespace);
      }
    } catch (error) {
      // A database that is down or unprepared degrades persistence; it never stops the app.
      this.failed(error, undefined, 'start');
    }
    const flush = setInterval(
      () => void this.flushLevel(this.periodic).catch(() => undefined),
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
   * The persistence of one namespace, for its `NamespaceCache`. `inCallOrder`: writes and
   * removals reach persistence in the order the deciding tier applied them (memory is the only
   * tier, and applies each in the calling tick), so a removal drops at once the dirty entries
   * of its moment and leaves any written after it. With a shared tier deciding, the calls may
   * arrive out of its order, and a removal forgets the entries it covers when its turn comes.
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
      this.flushLevel(this.periodic),
      this.flushLevel(this.onShutdown),
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
    await this.queue.catch(() => undefined);
    if (this.periodic.size + this.onShutdown.size > 0) await this.flush().catch(() => undefined);
  }

  /** Drains if that has not happened, writes whatever is still dirty, then closes the store. */
  async close(): Promise<void> {
    if (!this.draining) await this.drain();
    await this.queue.catch(() => undefined);
    if (this.periodic.size + this.onShutdown.size > 0) await this.flush().catch(() => undefined);
    await this.queue.catch(() => undefined);
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
    let dirty = 0;
    for (const level of [this.periodic, this.onShutdown])
      for (const keys of level.values()) dirty += keys.size;
    return {
      healthy: this.lastError === undefined,
      dirty,
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
    for (const spared of this.pendingRemovals.get(namespace) ?? []) spared.set(key, entry);
    if (entry.persistence !== PersistenceLevel.ON_CHANGE && !this.draining) {
      this.forget(namespace, [key]);
      mark(this.levelOf(entry), namespace, key, entry);
      return;
    }
    await this.enqueue(async () => {
      this.forget(namespace, [key]);
      try {
        await (await this.open()).upsert([toRow(namespace, key, entry)], 1);
        this.lastError = undefined;
      } catch (error) {
        // Not lost: the next flush writes it.
        mark(this.periodic, namespace, key, entry);
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
    if (this.closed || (!this.store && this.dirtyCount(namespace) === 0)) return;
    if (inCallOrder) this.forgetCovered(namespace, removal);
    const since = inCallOrder ? this.watchWrites(namespace) : undefined;
    await this.enqueue(async () => {
      if (since) this.unwatchWrites(namespace, since);
      else this.forgetCovered(namespace, removal);
      if (!this.store) return;
      try {
        await this.deleteRows(namespace, removal);
        this.lastError = undefined;
      } catch (error) {
        if ('keys' in removal)
          for (const key of removal.keys) mark(this.periodic, namespace, key, null);
        this.failed(error, report, 'unpersist');
      }
      for (const [key, entry] of since ?? []) {
        const deferred = entry.persistence !== PersistenceLevel.ON_CHANGE;
        if (deferred && covers(removal, key, entry) && !this.isDirty(namespace, key))
          mark(this.levelOf(entry), namespace, key, entry);
      }
    });
  }

  /** Starts collecting the entries of `namespace` written from now on. */
  private watchWrites(namespace: string): Map<string, CacheEntry> {
    const since = new Map<string, CacheEntry>();
    let watching = this.pendingRemovals.get(namespace);
    if (!watching) this.pendingRemovals.set(namespace, (watching = new Set()));
    watching.add(since);
    return since;
  }

  private unwatchWrites(namespace: string, since: Map<string, CacheEntry>): void {
    const watching = this.pendingRemovals.get(namespace);
    watching?.delete(since);
    if (watching?.size === 0) this.pendingRemovals.delete(namespace);
  }

  private async deleteRows(namespace: string, removal: Removal): Promise<void> {
    await (await this.open()).remove(namespace, removal, this.options.batchSize);
  }

  private levelOf(entry: CacheEntry): Dirty {
    return entry.persistence === PersistenceLevel.PERIODIC ? this.periodic : this.onShutdown;
  }

  private isDirty(namespace: string, key: string): boolean {
    return (
      (this.periodic.get(namespace)?.has(key) ?? false) ||
      (this.onShutdown.get(namespace)?.has(key) ?? false)
    );
  }

  private flushLevel(level: Dirty): Promise<number> {
    return this.enqueue(() => this.flushNow(level));
  }

  private async flushNow(level: Dirty): Promise<number> {
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
    const taken = new Map(level);
    level.clear();
    let written = 0;
    let firstError: Error | undefined;
    for (const [namespace, entries] of taken) {
      try {
        written += await this.writeNamespace(store, namespace, entries);
      } catch (error) {
        // Back to dirty, unless a newer state of the key arrived meanwhile.
        for (const [key, entry] of entries)
          if (!level.get(namespace)?.has(key)) mark(level, namespace, key, entry);
        this.failed(error, undefined, 'flush');
        firstError ??= asError(error);
      }
    }
    if (firstError !== undefined) throw firstError;
    return written;
  }

  /**
   * Writes one namespace's dirty entries. A batch that fails twice is retried row by row: when
   * some rows go through, or none do but the store still answers a read, the others are data
   * the database refuses (reported and dropped); otherwise the database is down and the error
   * propagates (entries stay dirty).
   */
  private async writeNamespace(
    store: StorageStore,
    namespace: string,
    entries: Map<string, CacheEntry | null>,
  ): Promise<number> {
    const rows = [...entries]
      .filter(([, entry]) => entry !== null)
      .map(([key, entry]) => toRow(namespace, key, entry as CacheEntry));
    const gone = [...entries].filter(([, entry]) => entry === null).map(([key]) => key);
    if (gone.length > 0)
      await retryOnce(() => store.remove(namespace, { keys: gone }, this.options.batchSize));
    try {
      await retryOnce(() => store.upsert(rows, this.options.batchSize));
      this.lastError = undefined;
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
      this.lastError = undefined;
      for (const key of refused) entries.delete(key);
      PersistenceManager.logger.error(
        `the database refused ${refused.length} entries of "${namespace}" (${refused.slice(0, 5).join(', ')}): ${(error as Error).message}`,
      );
      return written;
    }
  }

  private async load(namespace: RestorableNamespace): Promise<void> {
    const store = await this.open();
    let loaded = 0;
    await store.forEachPage(namespace.name, this.options.pageSize, async (rows) => {
      for (const row of rows) {
        try {
          await namespace.restore(row.key, fromRow(row));
          loaded++;
        } catch (error) {
          PersistenceManager.logger.warn(
            `skipped a row of "${namespace.name}", key "${row.key}": ${(error as Error).message}`,
          );
          namespace.fault('load', error as Error, row.key);
        }
      }
    });
    if (loaded > 0)
      PersistenceManager.logger.log(`loaded ${loaded} entries into "${namespace.name}"`);
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
    // Bounded batches, so a large backlog never holds one long transaction.
    for (let round = 0; round < 100; round++) {
      if ((await store.deleteExpired(this.options.batchSize)) < this.options.batchSize) return;
    }
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => undefined).then(work);
    this.queue = next;
    return next;
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

  private dirtyCount(namespace: string): number {
    return (this.periodic.get(namespace)?.size ?? 0) + (this.onShutdown.get(namespace)?.size ?? 0);
  }

  /** Drops the dirty entries a removal covers. */
  private forgetCovered(namespace: string, removal: Removal): void {
    if ('keys' in removal) this.forget(namespace, removal.keys);
    else this.forgetAll(namespace, removal);
  }

  private forget(namespace: string, keys: readonly string[]): void {
    for (const level of [this.periodic, this.onShutdown]) {
      const entries = level.get(namespace);
      if (entries) for (const key of keys) entries.delete(key);
    }
  }

  /** Drops dirty entries a tag, glob or clear removal covers. */
  private forgetAll(namespace: string, removal: Removal): void {
    for (const level of [this.periodic, this.onShutdown]) {
      const entries = level.get(namespace);
      if (!entries) continue;
      for (const [key, entry] of entries) if (covers(removal, key, entry)) entries.delete(key);
    }
  }

  private failed(
    error: unknown,
    report: Report | undefined,
    operation: string,
    key?: string,
  ): void {
    const cause = error instanceof Error ? error : new Error(String(error));
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

function mark(level: Dirty, namespace: string, key: string, entry: CacheEntry | null): void {
  let entries = level.get(namespace);
  if (!entries) level.set(namespace, (entries = new Map<string, CacheEntry | null>()));
  entries.set(key, entry);
}

function answers(store: StorageStore): Promise<boolean> {
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
