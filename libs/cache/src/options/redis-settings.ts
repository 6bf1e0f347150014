import type { Cluster, Redis } from 'ioredis';
import { InvalidOptionError } from '../errors/cache.error';
import type { CacheRedisOptions } from '../redis/redis-options';
import { CACHE_DEFAULTS } from './cache-options.defaults';
import { parseDuration, parseTimerDuration } from './duration';
import { describe, expectObject, expectPositiveInteger } from './option-checks';
import type { ResolvedRedisOptions } from './resolved-options';

const REDIS_SETTING_KEYS = ['commandTimeout', 'failureThreshold', 'retryAfter'] as const;

/**
 * True for an ioredis `Redis` or `Cluster` the application passes in. Told by its shape, so that
 * validating options never loads ioredis: a client sends commands and duplicates itself; plain
 * connection options do neither.
 */
export function looksLikeRedisClient(value: unknown): value is Redis | Cluster {
  if (typeof value !== 'object' || value === null) return false;
  const client = value as Record<string, unknown>;
  return (
    typeof client.sendCommand === 'function' &&
    typeof client.duplicate === 'function' &&
    typeof client.status === 'string'
  );
}

/** Validates `redis` and fills in the settings of the Redis tier. */
export function validateRedis(raw: unknown): ResolvedRedisOptions {
  refuseKeyPrefix(raw);
  if (looksLikeRedisClient(raw)) {
    return {
      connection: raw,
      commandTimeout: parseDuration(CACHE_DEFAULTS.redisCommandTimeout, 'redis.commandTimeout'),
      failureThreshold: CACHE_DEFAULTS.redisFailureThreshold,
      retryAfter: parseDuration(CACHE_DEFAULTS.redisRetryAfter, 'redis.retryAfter'),
    };
  }
  const redis = expectObject(raw, 'redis');
  if (
    redis.url !== undefined &&
    (typeof redis.url !== 'string' || !/^rediss?:\/\//.test(redis.url))
  ) {
    throw new InvalidOptionError(
      `redis.url: ${describe(redis.url)} is not a redis:// or rediss:// URL`,
    );
  }
  if (
    redis.cluster !== undefined &&
    (!Array.isArray(redis.cluster) || redis.cluster.length === 0)
  ) {
    throw new InvalidOptionError(
      `redis.cluster: expected a non-empty array of nodes, got ${describe(redis.cluster)}`,
    );
  }
  const settings = Object.fromEntries(REDIS_SETTING_KEYS.map((key) => [key, redis[key]]));
  return {
    connection: raw as CacheRedisOptions,
    commandTimeout: parseTimerDuration(
      settings.commandTimeout ?? CACHE_DEFAULTS.redisCommandTimeout,
      'redis.commandTimeout',
    ),
    failureThreshold:
      settings.failureThreshold === undefined
        ? CACHE_DEFAULTS.redisFailureThreshold
        : expectPositiveInteger(settings.failureThreshold, 'redis.failureThreshold'),
    retryAfter: parseDuration(
      settings.retryAfter ?? CACHE_DEFAULTS.redisRetryAfter,
      'redis.retryAfter',
    ),
  };
}

/** Where a client or connection options may carry ioredis' `keyPrefix`, relative to `redis`. */
const KEY_PREFIX_PATHS: ReadonlyArray<readonly string[]> = [
  ['keyPrefix'],
  ['options', 'keyPrefix'],
  ['options', 'redisOptions', 'keyPrefix'],
  ['clusterOptions', 'keyPrefix'],
  ['clusterOptions', 'redisOptions', 'keyPrefix'],
];

/**
 * Refuses ioredis' `keyPrefix`, in options or on a client: ioredis puts it before the keys a
 * command names, but not before the keys the cache's scripts build from a namespace's base nor
 * in a SCAN pattern, so tag invalidation, clear and pattern deletes would miss every entry.
 */
function refuseKeyPrefix(raw: unknown): void {
  refuseUrlPrefix(field(raw, 'url'), 'redis.url');
  // A Cluster's seeds pass their options on to the connections made to them (its nodes, which
  // SCAN and UNLINK go through): in options, or kept by a Cluster client as it was given them.
  for (const [name, seeds] of [
    ['cluster', field(raw, 'cluster')],
    ['startupNodes', field(raw, 'startupNodes')],
  ] as const) {
    if (!Array.isArray(seeds)) continue;
    seeds.forEach((seed: unknown, i) => {
      refuseUrlPrefix(seed, `redis.${name}[${i}]`);
      const value = field(seed, 'keyPrefix');
      if (value !== undefined && value !== '') {
        refusePrefix(`redis.${name}[${i}].keyPrefix: ${describe(value)}`);
      }
    });
  }
  for (const path of KEY_PREFIX_PATHS) {
    let value: unknown = raw;
    for (const step of path) value = field(value, step);
    if (value !== undefined && value !== '') {
      refusePrefix(`redis.${path.join('.')}: ${describe(value)}`);
    }
  }
}

/** `value[name]` when `value` is an object. */
function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, name) : undefined;
}

/** Refuses a URL whose query sets keyPrefix: ioredis takes every parameter as an option. */
function refuseUrlPrefix(url: unknown, where: string): void {
  if (typeof url !== 'string' || !url.includes('?')) return;
  const value = new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('keyPrefix');
  if (value) refusePrefix(`${where}: keyPrefix ${describe(value)}`);
}

function refusePrefix(where: string): never {
  throw new InvalidOptionError(
    `${where} is not supported, as the cache's scripts and scans name keys themselves`,
    "give the cache a client without keyPrefix, and set the module's prefix option instead",
  );
}
