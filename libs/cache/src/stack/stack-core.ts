import type { NamespaceChannel } from '../bus/namespace-channel';
import { UnavailableError } from '../errors/fault';
import type { NamespaceMetrics } from '../metrics/cache-metrics';
import { PersistenceLevel } from '../options/persistence-level';
import type {
  NamespacePersistence,
  Removal,
  RestorableNamespace,
} from '../persistence/persistence-manager';
import { isStale, type CacheEntry } from '../tiers/cache-entry';
import { freshEntry } from '../tiers/entry-rules';
import type { Awaitable, CacheTier, LoadTicket } from '../tiers/cache-tier.interface';
import type { MemoryTier } from '../tiers/memory.tier';
import type { FarBudget } from './far-budget';
import { FarGuard } from './far-guard';
import type { RestoredEntries, RestoreFailure } from './restore';
import { SharedUsage, type HeldUsage } from './shared-usage';
import { UNAVAILABLE, type NamespaceTiers, type StackListener } from './stack-types';

/** What a load's first read found, and the ticket its store presents (shared tiers only). */
export interface LoadRead {
  readonly entry: CacheEntry | undefined;
  readonly ticket?: LoadTicket;
}

/**
 * The state a namespace's tiers share and the sequences every operation of `TierStack` is built
 * from: the read version that keeps an invalidation from being undone by a read in flight, the
 * fill of memory, the placement of a write, the read-modify-write on the deciding tier, the
 * removal in three steps, and the hand-off to persistence.
 */
export abstract class StackCore implements RestorableNamespace {
  protected readonly near: MemoryTier | undefined;
  protected readonly far: FarGuard | undefined;
  protected readonly channel: NamespaceChannel | undefined;
  protected readonly persistence: NamespacePersistence | undefined;
  protected readonly metrics: NamespaceMetrics | undefined;
  private shared: SharedUsage | undefined;
  /** Counts this instance's invalidations; see `readVersion`. */
  private localVersion = 0;

  constructor(
    readonly name: string,
    tiers: NamespaceTiers,
    protected readonly listener: StackListener,
  ) {
    this.near = tiers.near;
    this.channel = tiers.channel;
    this.channel?.onDropped((keys) => listener.dropped(keys));
    this.persistence = tiers.persistence;
    this.metrics = tiers.metrics;
    this.far =
      tiers.far &&
      new FarGuard(tiers.far, name, tiers.breaker, tiers.strict ?? false, (op, error, key) =>
        listener.fault(op, error, key),
      );
  }

  /** The shared tier's kind, or memory's when it is alone. */
  get kind(): CacheTier['kind'] {
    return this.far?.tier.kind ?? 'memory';
  }

  /** True when loads can take a lock across instances. */
  get locks(): boolean {
    return this.far?.tier.acquireLock !== undefined;
  }

  /** The fresh memory entry of `key` (the hot path: one field read unless it has a grace period). */
  freshNear(key: string): CacheEntry | undefined {
    const entry = this.readNear(key);
    if (entry === undefined || entry.graceUntil === undefined) return entry;
    return isStale(entry, Date.now()) ? undefined : entry;
  }

  /** The memory entry of `key`, fresh or stale, unless memory cannot be trusted right now. */
  readNear(key: string): CacheEntry | undefined {
    if (this.near === undefined || (this.channel !== undefined && !this.channel.trusted)) {
      return undefined;
    }
    return this.near.get(key);
  }

  /** `read` from the shared tier, filling memory with a fresh entry. */
  protected readShared(key: string, budget?: FarBudget): Promise<CacheEntry | undefined> {
    // Without memory there is nothing to fill: the read is the tier's, with no step after it.
    if (!this.near) return this.readFar('get', key, budget);
    const version = this.readVersion();
    return this.readFar('get', key, budget).then((entry) => {
      if (entry !== undefined && !isStale(entry, Date.now())) this.fill(key, entry, version);
      return entry;
    });
  }

  /**
   * `readShared` at the start of a load, with the ticket its store presents (see
   * `CacheTier.readForLoad`); no ticket from a tier without one, or when the read failed.
   */
  protected async readSharedForLoad(key: string, budget?: FarBudget): Promise<LoadRead> {
    const version = this.readVersion();
    let ticket: LoadTicket | undefined;
    const entry = await (this.far as FarGuard).call(
      'get',
      key,
      async (far) => {
        if (far.readForLoad === undefined) return far.get(key);
        const read = await far.readForLoad(key);
        ticket = read.ticket;
        return read.entry;
      },
      () => this.lastResort(key),
      budget,
    );
    if (entry !== undefined && !isStale(entry, Date.now())) this.fill(key, entry, version);
    return { entry, ticket };
  }

  /**
   * `readMany` from the shared tier, filling memory with the fresh entries; `read` is the tier
   * call (a batch load's also takes its tickets).
   */
  protected async readManyShared(
    keys: readonly string[],
    read: (far: CacheTier) => Awaitable<ReadonlyArray<CacheEntry | undefined>> = (far) =>
      far.getMany(keys),
    budget?: FarBudget,
  ): Promise<ReadonlyArray<CacheEntry | undefined>> {
    const version = this.readVersion();
    const entries = await (this.far as FarGuard).call(
      'getMany',
      undefined,
      read,
      () => keys.map((key) => this.lastResort(key)),
      budget,
    );
    if (!this.near) return entries;
    const now = Date.now();
    entries.forEach((entry, i) => {
      if (entry !== undefined && !isStale(entry, now)) this.fill(keys[i], entry, version);
    });
    return entries;
  }

  /** The fresh entry of `key`, from memory or the shared tier, without filling memory. */
  async peek(key: string, budget?: FarBudget): Promise<CacheEntry | undefined> {
    const near = this.freshNear(key);
    if (near !== undefined || !this.far) return near;
    const entry = await this.readFar('peek', key, budget);
    return freshEntry(entry, Date.now());
  }

  /** What the namespace holds: memory's figures, or without memory the shared tier's count. */
  usage(): HeldUsage {
    if (this.near) return { ...this.near.usage(), source: 'memory' };
    // Without memory, what the shared tier holds: counted in the background, never a false 0.
    this.shared ??= new SharedUsage(() =>
      (this.far as FarGuard).call(
        'usage',
        undefined,
        (far) => far.usage(),
        () => undefined,
      ),
    );
    return this.shared.current();
  }

  /** Moves on whenever something is invalidated here or by another instance. */
  private readVersion(): number {
    return this.localVersion + (this.channel?.version ?? 0);
  }

  /** The shared tier's entry of `key` (fresh or stale), or memory's when it cannot answer. */
  private readFar(
    operation: string,
    key: string,
    budget: FarBudget | undefined,
  ): Promise<CacheEntry | undefined> {
    return (this.far as FarGuard).call(
      operation,
      key,
      (far) => far.get(key),
      () => this.lastResort(key),
      budget,
    );
  }

  /**
   * Copies an entry read from the shared tier into memory for its remaining lifetime. Skipped
   * when memory cannot be trusted, when something was invalidated during the read (`version`),
   * or when a write of this instance already put a newer entry there.
   */
  private fill(key: string, entry: CacheEntry, version: number): void {
    if (
      this.channel?.trusted !== false &&
      this.readVersion() === version &&
      !this.near?.holds(key)
    ) {
      this.storeNear(key, entry);
    }
  }

  /**
   * Puts an entry where it belongs: the shared tier first when there is one, then memory. Memory
   * alone is written at once.
   */
  protected place(
    key: string,
    entry: CacheEntry,
    budget?: FarBudget,
  ): Promise<boolean> | undefined {
    if (this.far) return this.placeFar(key, entry, budget);
    this.storeNear(key, entry);
    return undefined;
  }

  /**
   * Writes to the shared tier, then memory; memory is written even if the shared tier fails.
   * Other instances are told either way (a timed-out write may still land). If an invalidation
   * arrived during the write, memory drops the key instead: that one may be newer.
   */
  protected placeFar(
    key: string,
    entry: CacheEntry,
    budget: FarBudget | undefined,
    ticket?: LoadTicket,
  ): Promise<boolean> {
    const version = this.readVersion();
    const far = this.far as FarGuard;
    // Chained, not awaited: every write to the shared tier passes here (no async frame).
    if (ticket === undefined || far.tier.setUnlessChanged === undefined) {
      return far
        .call(
          'set',
          key,
          (tier) => tier.set(key, entry),
          () => undefined,
          budget,
        )
        .then(() => this.placed(key, entry, version));
    }
    // A load's value goes in only if nobody changed the key since the load began; a write that
    // failed is taken as done (memory is written even if the shared tier fails).
    return far
      .call(
        'set',
        key,
        (tier) =>
          (tier.setUnlessChanged as NonNullable<CacheTier['setUnlessChanged']>)(key, entry, ticket),
        () => true,
        budget,
      )
      .then((stored) => stored && this.placed(key, entry, version));
  }

  /** After the shared tier's write: other instances told, memory written (see `placeFar`). */
  private placed(key: string, entry: CacheEntry, version: number): true {
    this.channel?.keys([key]);
    if (this.readVersion() === version) this.storeNear(key, entry);
    else this.near?.delete([key]);
    return true;
  }

  /**
   * Puts an entry in memory. Over the namespace's byte budget it is refused before anything is
   * written when memory is the only tier, and simply kept out of memory above a shared tier.
   */
  protected storeNear(key: string, entry: CacheEntry): void {
    if (!this.near) return;
    if (this.near.fits(key, entry)) this.near.set(key, entry);
    else if (this.far) this.near.delete([key]);
    else this.near.set(key, entry);
  }

  /**
   * Runs a read-modify-write on the deciding tier (shared when there is one). When the shared
   * tier fails it runs on memory alone, or yields `fallback` when there is no memory tier.
   */
  protected async atomically<T>(
    operation: string,
    key: string,
    run: (tier: CacheTier) => Awaitable<T>,
    fallback: T | typeof UNAVAILABLE,
    budget?: FarBudget,
  ): Promise<T> {
    if (!this.far) return run(this.near as MemoryTier);
    let failed = false;
    this.localVersion++;
    const result = await this.far.call(
      operation,
      key,
      run,
      () => {
        failed = true;
        return undefined;
      },
      budget,
    );
    // Memory gets the new state by refetch on next read, everywhere; a read that raced this
    // operation does not refill it (the version moved).
    this.localVersion++;
    this.near?.delete([key]);
    this.channel?.keys([key]);
    if (!failed) return result as T;
    if (this.near) return run(this.near);
    if (fallback === UNAVAILABLE) throw new UnavailableError(this.name, operation);
    return fallback;
  }

  /**
   * Removes from memory, then the shared tier, then memory again, moving the read version on
   * both sides: a read in flight meanwhile cannot put back what is being removed. Other instances
   * are told even when the shared tier failed, since the change may have landed.
   */
  protected async invalidate<T>(
    operation: string,
    key: string | undefined,
    onNear: () => T,
    onFar: (far: CacheTier) => Awaitable<T>,
    announce: (channel: NamespaceChannel) => void,
  ): Promise<T> {
    this.localVersion++;
    const nearResult = onNear();
    if (!this.far) return nearResult;
    const result = await this.far.call(operation, key, onFar, () => nearResult);
    this.localVersion++;
    onNear();
    if (this.channel) announce(this.channel);
    return result;
  }

  /**
   * What a removal drops from the table. A shared tier never evicts, so the keys it deleted are
   * exactly the rows to drop (and a row written since, with the same tag, stays). Memory alone
   * may have evicted entries whose rows remain: those go by tag or glob.
   */
  protected tableRemoval(keys: readonly string[], byRule: Removal): Removal {
    return this.far ? { keys } : { ...byRule, held: keys };
  }

  /**
   * Memory dropped `key` on its own (evicted, expired): the entry waiting for a flush goes too,
   * unless a shared tier still holds it.
   */
  dropped(key: string): void {
    if (!this.far) void this.persistence?.dropped(key);
  }

  /** Hands a written entry to persistence (ON_CHANGE: written before this resolves). */
  protected persist(key: string, entry: CacheEntry): Promise<void> | void {
    if (this.persistence && entry.persistence !== PersistenceLevel.MEMORY_ONLY) {
      return this.persistence.written(key, entry);
    }
  }

  /** Persists the entry an atomic operation left (read back from the deciding tier). */
  protected async persistCurrent(key: string, budget?: FarBudget): Promise<void> {
    if (!this.persistence) return;
    const entry = await this.peek(key, budget);
    if (entry !== undefined) await this.persist(key, entry);
  }

  /**
   * What memory holds for `key` when the shared tier cannot answer. Memory bypassed for want of
   * a bus is still the best answer there is while the shared tier itself is unreachable.
   */
  private lastResort(key: string): CacheEntry | undefined {
    return this.channel !== undefined && !this.channel.trusted ? this.near?.get(key) : undefined;
  }

  abstract restoreMany(entries: RestoredEntries): Promise<RestoreFailure[]>;

  abstract fault(operation: string, error: Error, key?: string): void;
}
