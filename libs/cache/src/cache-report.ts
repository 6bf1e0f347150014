import type { BusHealth } from './bus/invalidation-bus';
import type { SharedBackends } from './namespace/namespace-factory';
import type { TierKind } from './options/cache-options.interface';
import type { NamespaceSettings } from './options/resolved-options';
import type { PersistenceHealth } from './persistence/persistence-manager';
import type { RedisHealth } from './redis/redis-backend';

/** What `CacheService.info()` reports: configuration and the health of each backend. */
export interface CacheInfo {
  readonly prefix: string;
  readonly namespaces: ReadonlyArray<{
    readonly name: string;
    readonly ttl: number;
    readonly tiers: readonly TierKind[];
    readonly persistence: string;
  }>;
  readonly backends: {
    readonly memory?: { readonly healthy: boolean };
    readonly redis?: RedisHealth;
    /** The invalidation bus, over Redis or PostgreSQL. */
    readonly bus?: BusHealth;
    /** The durable store: last call, dirty entries, circuit and last flush. */
    readonly persistence: PersistenceHealth;
  };
}

/** What `CacheService.health()` finds. */
export interface CacheHealth {
  readonly status: 'up' | 'down';
  readonly memory?: { readonly healthy: boolean };
  /** The connection and circuit, with a PING sent now: `healthy` only when it answered too. */
  readonly redis?: RedisHealth & {
    readonly ping:
      { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: string };
  };
  readonly bus?: BusHealth;
  /** The durable store, read now (`healthy`), with its dirty entries, circuit and last flush. */
  readonly persistence: PersistenceHealth;
}

/** What `CacheService.info()` reports of `namespaces` and the backends they share. */
export function describeCache(
  backends: SharedBackends,
  withMemory: boolean,
  namespaces: readonly NamespaceSettings[],
): CacheInfo {
  const { redis, bus, persistence } = backends;
  return {
    prefix: backends.prefix,
    namespaces: namespaces.map(({ name, ttl, tiers, persistence: level }) => ({
      name,
      ttl,
      tiers,
      persistence: level,
    })),
    backends: {
      ...(withMemory && { memory: { healthy: true } }),
      ...(redis && { redis: redis.health() }),
      ...(bus && { bus: bus.health() }),
      persistence: persistence.health(),
    },
  };
}

/** What `CacheService.health(timeout)` finds, every backend checked now. */
export async function checkHealth(
  backends: SharedBackends,
  withMemory: boolean,
  timeout: number,
): Promise<CacheHealth> {
  const [ping, persistence] = await Promise.all([
    backends.redis?.ping(timeout),
    backends.persistence.check(timeout),
  ]);
  const state = backends.redis?.health();
  // As for the store: checked now, so a connection that is up but does not answer is not healthy.
  const redis = state && ping && { ...state, healthy: state.healthy && ping.ok, ping };
  const redisDown = redis !== undefined && (!redis.ping.ok || redis.bus?.connected === false);
  const bus = backends.bus?.health();
  return {
    status: redisDown || bus?.connected === false || !persistence.healthy ? 'down' : 'up',
    ...(withMemory && { memory: { healthy: true } }),
    ...(redis && { redis }),
    ...(bus && { bus }),
    persistence,
  };
}
