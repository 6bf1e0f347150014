import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { Duration } from '../options/duration';

/** Settings of the Redis tier itself, whatever the connection. */
export interface RedisTierSettings {
  /**
   * Every Redis call fails after this long; the cache then answers from memory or as a miss. At
   * most about 24.8 days (Node's longest timer); `Infinity` waits without a limit.
   * @default '500ms'
   */
  commandTimeout?: Duration;
  /**
   * Consecutive failures after which Redis is left alone for a while (circuit breaker).
   * @default 5
   */
  failureThreshold?: number;
  /**
   * First pause of the circuit breaker before a trial call (doubles up to 30s).
   * @default '1s'
   */
  retryAfter?: Duration;
}

/**
 * How to reach Redis: a URL, ioredis options (standalone or Sentinel: `{ sentinels, name }`),
 * a cluster's seed nodes, or an ioredis `Redis`/`Cluster` the application owns (the module then
 * never closes it).
 */
export type CacheRedisOptions =
  | Redis
  | Cluster
  | (RedisTierSettings & { url: string; options?: RedisOptions })
  | (RedisTierSettings & { cluster: ClusterNode[]; clusterOptions?: ClusterOptions })
  | (RedisTierSettings & Omit<RedisOptions, 'commandTimeout'>);
