import { PersistenceLevel } from './persistence-level';
import type { TierKind } from './cache-options.interface';

/** Every default of the module, in one place. */
export const CACHE_DEFAULTS = {
  defaultTtl: '1h',
  prefix: 'cache',
  defaultNamespace: 'http',
  memoryMaxEntries: 10_000,
  tiers: ['memory'] as readonly TierKind[],
  tiersWithRedis: ['memory', 'redis'] as readonly TierKind[],
  redisCommandTimeout: '500ms',
  redisFailureThreshold: 5,
  redisRetryAfter: '1s',
  persistence: PersistenceLevel.MEMORY_ONLY,
} as const;
