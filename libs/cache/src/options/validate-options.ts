import { postgresSourceOf } from '../bus/create-bus';
import { InvalidOptionError } from '../errors/cache.error';
import { CACHE_DEFAULTS } from './cache-options.defaults';
import { parseTtl } from './duration';
import { validateMemory } from './memory-options';
import { validateMetrics } from './metrics-options';
import { validateNamespaceDeclaration, validateNamespaceList } from './namespace-options';
import {
  describe,
  expectBoolean,
  expectKnownKeys,
  expectObject,
  expectPositiveInteger,
} from './option-checks';
import { validatePersistence } from './persistence-options';
import { validateRedis } from './redis-settings';
import type { ResolvedCacheOptions } from './resolved-options';

const MODULE_KEYS = [
  'defaultTtl',
  'prefix',
  'memory',
  'redis',
  'bus',
  'strict',
  'defaultNamespace',
  'persistence',
  'metrics',
  'maxValueBytes',
  'namespaces',
] as const;
const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Validates `CacheModule.forRoot` options once, at start, and fills in every default. Each
 * option group has its own file (`memory-options`, `redis-settings`, `persistence-options`,
 * `metrics-options`, `namespace-options`); this one checks the root and puts them together.
 */
export function validateModuleOptions(raw: unknown): ResolvedCacheOptions {
  const options = expectObject(raw ?? {}, 'CacheModule options');
  expectKnownKeys(options, MODULE_KEYS, 'CacheModule options');
  const prefix = options.prefix ?? CACHE_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new InvalidOptionError(
      `prefix: ${describe(prefix)} is not a valid prefix`,
      'use 1-64 letters, digits, "_", "-" or "."',
    );
  }
  const namespacesRaw = options.namespaces ?? [];
  if (!Array.isArray(namespacesRaw)) {
    throw new InvalidOptionError(`namespaces: expected an array, got ${describe(namespacesRaw)}`);
  }
  const redis = options.redis === undefined ? undefined : validateRedis(options.redis);
  if (options.memory === false && !redis) {
    throw new InvalidOptionError(
      'memory: false leaves no tier to store entries in',
      'configure redis, or keep the memory tier',
    );
  }
  const persistence = validatePersistence(options.persistence);
  // A bus needs a server to carry it: Redis, or else a PostgreSQL persistence.dataSource.
  const busCarrier = redis !== undefined || postgresSourceOf(persistence.dataSource) !== undefined;
  return {
    defaultTtl: parseTtl(options.defaultTtl ?? CACHE_DEFAULTS.defaultTtl, 'defaultTtl'),
    prefix,
    memory: validateMemory(options.memory),
    redis,
    bus: busCarrier && expectBoolean(options.bus ?? CACHE_DEFAULTS.bus, 'bus'),
    strict: expectBoolean(options.strict ?? CACHE_DEFAULTS.strict, 'strict'),
    persistence,
    maxValueBytes:
      options.maxValueBytes === undefined
        ? CACHE_DEFAULTS.maxValueBytes
        : expectPositiveInteger(options.maxValueBytes, 'maxValueBytes'),
    metrics: validateMetrics(options.metrics),
    defaultNamespace: validateNamespaceDeclaration(
      options.defaultNamespace ?? CACHE_DEFAULTS.defaultNamespace,
      'defaultNamespace',
    ).name,
    namespaces: validateNamespaceList(namespacesRaw, 'namespaces'),
  };
}
