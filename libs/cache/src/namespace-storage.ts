import type { NamespaceChannel } from './bus/namespace-channel';
import { isUserError, UnavailableError } from './errors';
import { isStale, type CacheEntry } from './tiers/cache-entry';
import type { CacheTier, TierUsage } from './tiers/cache-tier.interface';
import type { MemoryTier } from './tiers/memory.tier';
import type { NamespacePersistence } from './persistence/persistence-manager';
import type { NamespaceMetrics } from './metrics/cache-metrics';
import { diagnostics } from './metrics/diagnostics';

/** The storage behind one namespace. */
export interface NamespaceTiers {
  /** In-process memory, read first. */
  readonly near?: MemoryTier;
  /** A shared tier (Redis), written first; atomic operations run there. */
  readonly far?: CacheTier;
  /** Keeps `near` coherent with other instances when `far` is shared. */
  readonly channel?: NamespaceChannel;
  /** Throw on backend faults instead of degrading. */
  readonly strict?: boolean;
  /** Writes entries to `cache_storage` as their persistence level says. */
  readonly persistence?: NamespacePersistence;
  /** Latency histograms, when metrics are on. */
  readonly metrics?: NamespaceMetrics;
}

/** Marks an operation that has no sensible answer without its shared tier. */
export const UNAVAILABLE: unique symbol = Symbol('unavailable');

/** Told about a backend fault that was absorbed. */
export type FaultListener = (operation: string, error: Error, key?: string) => void;

/**
 * How one namespace uses its tiers: memory in front of a shared tier, kept coherent with it and
 * with other instances, degraded to memory when the shared tier fails. `NamespaceCache` builds
 * its API on this; nothing here counts hits or emits events but faults.
 */
export class NamespaceStorage {
  readonly near: MemoryTier | undefined;
  readonly far: CacheTier | undefined;
  readonly channel: NamespaceChannel | undefined;
  private readonly strict: boolean;
  /** Counts this instance's invalidations; see `readVersion`. */
  private localVersion = 0;

  constructor(
    private readonly name: string,
    tiers: NamespaceTiers,
    private readonly onFault: FaultListener,
  ) {
    this.near = tiers.near;
    this.far = tiers.far;
    this.channel = tiers.channel;
    this.strict = tiers.strict ?? false;
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

  /** Moves on whenever something is invalidated here or by another instance. */
  readVersion(): number {
    return this.localVersion + (this.channel?.version ?? 0);
  }

  /** The shared tier's entry of `key` (fresh or stale), or memory's when it cannot answer. */
  readFar(operation: string, key: string): Promise<CacheEntry | undefined> {
    return this.onFar(
      operation,
      key,
      (far) => far.get(key),
      () => this.lastResort(key),
    );
  }

  /** The fresh entry of `key`, from memory or the shared tier, without filling memory. */
  async peek(key: string): Promise<CacheEntry | undefined> {
    const near = this.freshNear(key);
    if (near !== undefined || !this.far) return near;
    const entry = await this.readFar('peek', key);
    return entry === undefined || isStale(entry, Date.now()) ? undefined : entry;
  }

  /**
   * Copies an entry read from the shared tier into memory for its remaining lifetime. Skipped
   * when memory cannot be trusted, when something was invalidated during the read (`version`),
   * or when a write of this instance already put a newer entry there.
   */
  fill(key: string, entry: CacheEntry, version: number): void {
    if (
      this.channel?.trusted !== false &&
      this.readVersion() === version &&
      !this.near?.holds(key)
    ) {
      this.storeNear(key, entry);
    }
  }

  /** Stores an entry: the shared tier first when there is one, then memory. */
  async write(key: string, entry: CacheEntry): Promise<void> {
    if (this.far) await this.writeFar(key, entry);
    else this.storeNear(key, entry);
  }

  /**
   * Puts an entry in memory. Over the namespace's byte budget it is refused before anything is
   * written when memory is the only tier, and simply kept out of memory above a shared tier.
   */
  storeNear(key: string, entry: CacheEntry): void {
    if (!this.near) return;
    if (this.near.fits(key, entry)) this.near.set(key, entry);
    else if (this.far) this.near.delete([key]);
    else this.near.set(key, entry);
  }

  /**
   * Runs a read-modify-write on the deciding tier (shared when there is one). When the shared
   * tier fails it runs on memory alone, or yields `fallback` when there is no memory tier.
   */
  async atomically<T>(
    operation: string,
    key: string,
    run: (tier: CacheTier) => T | Promise<T>,
    fallback: T | typeof UNAVAILABLE,
  ): Promise<T> {
    if (!this.far) return run(this.near as MemoryTier);
    let failed = false;
    this.localVersion++;
    const result = await this.onFar(operation, key, run, () => {
      failed = true;
      return undefined;
    });
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

  /** A read from the deciding tier, degraded to memory on a fault. */
  async read<T>(
    operation: string,
    run: (tier: CacheTier) => T | Promise<T>,
    fallback: T,
  ): Promise<T> {
    if (!this.far) return run(this.near as MemoryTier);
    return this.onFar(operation, undefined, run, () =>
      this.near ? (run(this.near) as T) : fallback,
    );
  }

  /**
   * Removes from memory, then the shared tier, then memory again, moving the read version on
   * both sides: a read in flight meanwhile cannot put back what is being removed. Other instances
   * are told even when the shared tier failed, since the change may have landed.
   */
  async invalidate<T>(
    operation: string,
    key: string | undefined,
    onNear: () => T,
    onFar: (far: CacheTier) => T | Promise<T>,
    announce: (channel: NamespaceChannel) => void,
  ): Promise<T> {
    this.localVersion++;
    const nearResult = onNear();
    if (!this.far) return nearResult;
    const result = await this.onFar(operation, key, onFar, () => nearResult);
    this.localVersion++;
    onNear();
    if (this.channel) announce(this.channel);
    return result;
  }

  /** Calls the shared tier; a fault is reported and answered by `degrade()` unless strict. */
  async onFar<T>(
    operation: string,
    key: string | undefined,
    run: (tier: CacheTier) => T | Promise<T>,
    degrade: () => T,
  ): Promise<T> {
    if (diagnostics.tier.hasSubscribers) return this.tracedOnFar(operation, key, run, degrade);
    try {
      return await run(this.far as CacheTier);
    } catch (error) {
      if (isUserError(error)) throw error;
      const fault = error instanceof Error ? error : new Error(String(error));
      this.onFault(operation, fault, key);
      if (this.strict) throw new UnavailableError(this.name, operation, fault);
      return degrade();
    }
  }

  /** `onFar`, timed and published on the tier diagnostics channel. */
  private async tracedOnFar<T>(
    operation: string,
    key: string | undefined,
    run: (tier: CacheTier) => T | Promise<T>,
    degrade: () => T,
  ): Promise<T> {
    const started = performance.now();
    let failure: unknown;
    try {
      return await run(this.far as CacheTier);
    } catch (error) {
      failure = error;
      if (isUserError(error)) throw error;
      const fault = error instanceof Error ? error : new Error(String(error));
      this.onFault(operation, fault, key);
      if (this.strict) throw new UnavailableError(this.name, operation, fault);
      return degrade();
    } finally {
      diagnostics.tier.publish({
        namespace: this.name,
        tier: this.far?.kind,
        operation,
        ...(key !== undefined && { key }),
        durationMs: performance.now() - started,
        ...(failure !== undefined && { error: failure }),
      });
    }
  }

  /** What memory holds. */
  usage(): TierUsage {
    return this.near?.usage() ?? { entries: 0, bytes: 0, persistent: 0 };
  }

  async close(): Promise<void> {
    await this.far?.close();
    this.near?.close();
  }

  /**
   * Writes to the shared tier, then memory; memory is written even if the shared tier fails.
   * Other instances are told either way (a timed-out write may still land). If an invalidation
   * arrived during the write, memory drops the key instead: that one may be newer.
   */
  private async writeFar(key: string, entry: CacheEntry): Promise<void> {
    const version = this.readVersion();
    await this.onFar(
      'set',
      key,
      (far) => far.set(key, entry),
      () => undefined,
    );
    this.channel?.keys([key]);
    if (this.readVersion() === version) this.storeNear(key, entry);
    else this.near?.delete([key]);
  }

  /**
   * What memory holds for `key` when the shared tier cannot answer. Memory bypassed for want of
   * a bus is still the best answer there is while Redis itself is unreachable.
   */
  lastResort(key: string): CacheEntry | undefined {
    return this.channel !== undefined && !this.channel.trusted ? this.near?.get(key) : undefined;
  }
}
