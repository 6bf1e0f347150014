import { asError } from '../errors/as-error';
import { NamespaceEvents, type NamespaceCacheEvent, type NamespaceCacheListener } from '../events';
import type { NamespaceMetrics } from '../metrics/cache-metrics';
import { NamespaceCounters, type NamespaceStats } from '../stats';
import { isStale, type CacheEntry } from '../tiers/cache-entry';
import type { RemovalReason, TierUsage } from '../tiers/cache-tier.interface';
import type { RemovedKeys } from '../tiers/removed-keys';
import { InvalidationListeners, type InvalidationCallback } from './invalidation-listeners';

/**
 * What one namespace tells the world: its counters (`stats()`), its events (`on`), its latency
 * histograms and its `onInvalidate` subscribers. The layers below report here; nothing here
 * touches a tier.
 */
export class NamespaceSignals {
  readonly counters = new NamespaceCounters();
  private readonly events = new NamespaceEvents();
  private readonly invalidations = new InvalidationListeners();

  constructor(
    private readonly namespace: string,
    /** Latency histograms, when metrics are on. */
    readonly metrics: NamespaceMetrics | undefined,
  ) {}

  /** Counts and announces a hit; returns its value. */
  hit(key: string, entry: CacheEntry): unknown {
    this.counters.hits++;
    if (this.events.listens('hit')) this.events.emit('hit', { namespace: this.namespace, key });
    return entry.value;
  }

  /**
   * Counts and announces what a read below memory found: a hit when `entry` is fresh at `now`,
   * else a miss; returns its value (undefined on a miss).
   */
  found(key: string, entry: CacheEntry | undefined, now: number): unknown {
    return entry === undefined || isStale(entry, now) ? this.miss(key) : this.hit(key, entry);
  }

  /** Counts and announces a miss. */
  miss(key: string): undefined {
    this.counters.misses++;
    if (this.events.listens('miss')) this.events.emit('miss', { namespace: this.namespace, key });
    return undefined;
  }

  /** Counts and announces a write. */
  written(key: string): void {
    this.counters.sets++;
    if (this.events.listens('set')) this.events.emit('set', { namespace: this.namespace, key });
  }

  /**
   * Counts and announces the deleted keys that held a value, and tells `onInvalidate`
   * subscribers of every key removed: a stale entry `getOrSet` might have served is gone too.
   */
  removed(removed: RemovedKeys): void {
    this.counters.deletes += removed.held.length;
    const announce = this.events.listens('delete');
    for (const key of removed.held) {
      if (announce) this.events.emit('delete', { namespace: this.namespace, key });
      this.invalidations.notify(key);
    }
    for (const key of removed.stale) this.invalidations.notify(key);
  }

  /** Counts the entries a clear removed, and tells `onInvalidate` subscribers of `keys`. */
  cleared(count: number, keys: readonly string[]): void {
    this.counters.deletes += count;
    for (const key of keys) this.invalidations.notify(key);
  }

  /** Tells `onInvalidate` subscribers of keys another instance's change dropped from memory. */
  dropped(keys: readonly string[]): void {
    for (const key of keys) this.invalidations.notify(key);
  }

  /** Counts an entry a tier dropped on its own, and announces it. */
  tierRemoved(key: string, reason: RemovalReason): void {
    if (reason === 'evict') this.counters.evictions++;
    else this.counters.expirations++;
    if (this.events.listens(reason)) this.events.emit(reason, { namespace: this.namespace, key });
  }

  /** Counts and emits a backend fault the cache absorbed. */
  fault(operation: string, error: Error, key?: string): void {
    this.counters.errors++;
    this.emitError(operation, error, key);
  }

  /** Emits an `error` event for a failure that is not a backend fault (a background reload). */
  failed(operation: string, error: unknown, key?: string): void {
    this.emitError(operation, asError(error), key);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends NamespaceCacheEvent>(event: E, listener: NamespaceCacheListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /** Subscribes to deletions of keys matching `glob`; returns the function that unsubscribes. */
  onInvalidate(glob: string, callback: InvalidationCallback): () => void {
    return this.invalidations.add(glob, callback);
  }

  /** Counters since start plus what memory holds now. */
  stats(held: TierUsage): NamespaceStats {
    const stats = this.counters.snapshot(held);
    return this.metrics ? { ...stats, latency: this.metrics.totals() } : stats;
  }

  /** Drops every listener. */
  close(): void {
    this.events.removeAll();
    this.invalidations.clear();
  }

  private emitError(operation: string, error: Error, key?: string): void {
    if (!this.events.listens('error')) return;
    this.events.emit('error', {
      namespace: this.namespace,
      operation,
      error,
      ...(key !== undefined && { key }),
    });
  }
}
