import type { NamespaceChannel } from '../bus/namespace-channel';
import type { NamespaceMetrics } from '../metrics/cache-metrics';
import type { NamespacePersistence, Removal } from '../persistence/persistence-manager';
import type { CacheTier } from '../tiers/cache-tier.interface';
import type { MemoryTier } from '../tiers/memory.tier';
import type { RemovedKeys } from '../tiers/removed-keys';
import type { CircuitBreaker } from './circuit-breaker';

/** The storage behind one namespace, as `CacheService` (or a spec) assembles it. */
export interface NamespaceTiers {
  /** In-process memory, read first. */
  readonly near?: MemoryTier;
  /** A shared tier (Redis or PostgreSQL), written first; atomic operations run there. */
  readonly far?: CacheTier;
  /** Bounds every call to `far` in time and stops calling it while it keeps failing. */
  readonly breaker?: CircuitBreaker;
  /** Keeps `near` coherent with other instances when `far` is shared. */
  readonly channel?: NamespaceChannel;
  /** Throw on backend faults instead of degrading. */
  readonly strict?: boolean;
  /** Writes entries to `cache_storage` as their persistence level says. */
  readonly persistence?: NamespacePersistence;
  /** Latency histograms, when metrics are on. */
  readonly metrics?: NamespaceMetrics;
}

/**
 * What the layer above a stack registers to hear about: the stack never calls up to do work, it
 * tells. Calls come after the tiers and the bus, before persistence.
 */
export interface StackListener {
  /** A backend fault the stack absorbed (or is about to throw, when strict). */
  fault(operation: string, error: Error, key?: string): void;
  /** `key` was written (set, loaded, updated, incremented, stored if absent). */
  written(key: string): void;
  /** A removal is about to start: loads it covers must not store their result. */
  removing(removal: Removal): void;
  /** These keys were deleted or invalidated (held ones, and stale ones apart). */
  removed(removed: RemovedKeys): void;
  /** The namespace was cleared; `count` entries were there, `keys` of them in memory. */
  cleared(count: number, keys: readonly string[]): void;
  /** Another instance's change dropped these keys from memory. */
  dropped(keys: readonly string[]): void;
}

/** Marks an operation that has no sensible answer without its shared tier. */
export const UNAVAILABLE: unique symbol = Symbol('unavailable');
