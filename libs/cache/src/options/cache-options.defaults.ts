import { PersistenceLevel } from './persistence-level';
import type { TierKind } from './cache-options.interface';

/**
 * Every default of the module, in one place: validation fills options from here, and the
 * `@default` tags of the option types say the same.
 */
export const CACHE_DEFAULTS = {
  defaultTtl: '1h',
  prefix: 'cache',
  defaultNamespace: 'http',
  /** With Redis or a PostgreSQL persistence.dataSource configured. */
  bus: true,
  strict: false,
  /** 16 MiB. */
  maxValueBytes: 16 * 1024 * 1024,
  memoryMaxEntries: 10_000,
  tiers: ['memory'] as readonly TierKind[],
  tiersWithRedis: ['memory', 'redis'] as readonly TierKind[],
  persistence: PersistenceLevel.MEMORY_ONLY,
  /** A namespace's grace period: none. */
  grace: 0,
  redisCommandTimeout: '500ms',
  redisFailureThreshold: 5,
  redisRetryAfter: '1s',
  /**
   * The guard of the PostgreSQL tier (one circuit per store): each call's deadline, the
   * consecutive failures that open the circuit, and the first pause before a trial call.
   */
  postgresCommandTimeout: '2s',
  postgresFailureThreshold: 5,
  postgresRetryAfter: '1s',
  /** How long `health()` waits for each backend to answer, in ms. */
  healthTimeout: 1000,
  /** Longest pause of an open circuit (it doubles after each failed trial). */
  circuitMaxRetryAfter: '30s',
  flushInterval: '5s',
  batchSize: 1000,
  loadOnStartup: true,
  migrate: true,
  cleanupInterval: '1m',
  /** Rows per page when loading at start. */
  loadPageSize: 1000,
  /** Batches of `batchSize` one cleanup run deletes at most, so a backlog never holds it long. */
  cleanupRounds: 100,
  /**
   * A `getOrSet` lock: how long it lives, and how long others wait for its value (never longer
   * than the lock lives, nor than `maxWait`: a caller held a minute waiting for another
   * instance's loader is a mistake, such as a unit typed wrong).
   */
  lock: { ttl: '10s', wait: '5s', maxWait: '1m' },
  metricsPrefix: 'cache_',
  /** Histogram buckets of tier operations, in seconds. */
  metricsBuckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5] as const,
} as const;
