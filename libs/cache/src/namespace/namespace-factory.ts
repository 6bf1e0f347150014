import type { InvalidationBus } from '../bus/invalidation-bus';
import { NamespaceChannel } from '../bus/namespace-channel';
import type { CacheMetrics } from '../metrics/cache-metrics';
import type { NamespaceSettings } from '../options/resolved-options';
import type { PersistenceManager } from '../persistence/persistence-manager';
import { PostgresTier } from '../persistence/postgres.tier';
import type { RedisBackend } from '../redis/redis-backend';
import { RedisTier } from '../redis/redis.tier';
import type { CircuitBreaker } from '../stack/circuit-breaker';
import { MemoryTier } from '../tiers/memory.tier';
import { NamespaceCache } from './namespace-cache';
import { internalsOf } from './namespace-internals';

/** What every namespace of one module shares: its servers, their circuits, its metrics. */
export interface SharedBackends {
  readonly prefix: string;
  readonly strict: boolean;
  readonly redis: RedisBackend | undefined;
  /** The bus whichever server carries it (Redis, else PostgreSQL LISTEN/NOTIFY). */
  readonly bus: InvalidationBus | undefined;
  readonly persistence: PersistenceManager;
  /** The PostgreSQL tier's circuit, shared by every namespace kept in the table. */
  readonly tableBreaker: CircuitBreaker;
  readonly metrics: CacheMetrics | undefined;
}

/**
 * A namespace built on the shared backends, as `settings` ask: a memory tier of its own, Redis or
 * the `cache_storage` table as its shared tier (behind that server's circuit), a bus channel
 * keeping its memory coherent over the shared tier, and the durable store unless the namespace
 * lives in the table already.
 */
export function createNamespace(
  settings: NamespaceSettings,
  backends: SharedBackends,
): NamespaceCache<unknown> {
  const { persistence, tableBreaker } = backends;
  const near = settings.tiers.includes('memory')
    ? new MemoryTier({
        maxEntries: settings.maxEntries,
        maxBytes: settings.maxBytes,
        onRemoved: (key, reason) => internalsOf(cache).tierRemoved(key, reason),
      })
    : undefined;
  const redis = settings.tiers.includes('redis') ? backends.redis : undefined;
  const inTable = settings.tiers.includes('postgres');
  const far = inTable
    ? new PostgresTier(
        () => persistence.openStore(),
        settings.name,
        (key, error) => internalsOf(cache).fault('decode', error, key),
      )
    : redis &&
      new RedisTier(redis.client, backends.prefix, settings.name, (key, error) =>
        internalsOf(cache).fault('decode', error, key),
      );
  // Memory is kept coherent over a shared tier: Redis, or the table (over either bus).
  const bus = inTable ? backends.bus : redis?.bus;
  const breaker = inTable ? tableBreaker : redis?.breaker;
  const channel = near && bus && new NamespaceChannel(bus, settings.name, near, breaker);
  const cache: NamespaceCache<unknown> = new NamespaceCache(settings, {
    near,
    far,
    breaker,
    channel,
    strict: backends.strict,
    metrics: backends.metrics?.for(settings.name),
    // A namespace kept in the table itself is durable already.
    persistence: inTable
      ? undefined
      : persistence.for(settings.name, (operation, error, key) =>
          internalsOf(cache).fault(operation, error, key),
        ),
  });
  return cache;
}
