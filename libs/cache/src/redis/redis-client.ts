import type { RedisOptions } from 'ioredis';
import type { ResolvedRedisOptions } from '../options/resolved-options';
import { ioredis, type RedisClient } from './redis-connection';
import type { RedisTierSettings } from './redis-options';

const TIER_SETTINGS: ReadonlyArray<keyof RedisTierSettings> = [
  'commandTimeout',
  'failureThreshold',
  'retryAfter',
];

/**
 * The client the module opens from the `redis` option: a Cluster from `{ cluster }`, a Redis from
 * `{ url }` or from ioredis options, with the tier's own settings left out and defaults that let
 * the circuit breaker, not ioredis, decide how long a call may wait while Redis is away.
 */
export function createRedisClient(options: ResolvedRedisOptions): RedisClient {
  const { Cluster, Redis } = ioredis();
  const connection = options.connection as Record<string, unknown>;
  const rest = Object.fromEntries(
    Object.entries(connection).filter(([key]) => !(TIER_SETTINGS as string[]).includes(key)),
  );
  const defaults: RedisOptions = {
    enableAutoPipelining: true,
    // Fail fast while disconnected: the breaker and the fallbacks take it from there.
    enableOfflineQueue: false,
    // The circuit breaker bounds every call in time: one timer, not one per command. A command
    // sent when the connection drops fails then and is never sent again: Redis may have run it
    // already (its reply lost), and an increment or any script run twice is a wrong answer.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    // After QUIT the server closes at once; only a socket that already failed (e.g. a refused
    // TLS certificate) waits this long, holding the process open, before it is destroyed.
    disconnectTimeout: 200,
  };
  if (Array.isArray(rest.cluster)) {
    const clusterOptions = (rest.clusterOptions ?? {}) as Record<string, unknown>;
    return new Cluster(rest.cluster as ConstructorParameters<typeof Cluster>[0], {
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      ...clusterOptions,
      redisOptions: { ...defaults, ...((clusterOptions.redisOptions as RedisOptions) ?? {}) },
    });
  }
  if (typeof rest.url === 'string') {
    return new Redis(rest.url, { ...defaults, ...((rest.options as RedisOptions) ?? {}) });
  }
  return new Redis({ ...defaults, ...(rest as RedisOptions) });
}
