import { InvalidOptionError } from '../errors';
import { CACHE_DEFAULTS } from './cache-options.defaults';
import type { TierKind } from './cache-options.interface';
import { parseDuration, parseTtl } from './duration';
import {
  describe,
  expectBoolean,
  expectKnownKeys,
  expectObject,
  expectOneOf,
  expectPositiveInteger,
  expectStringList,
} from './option-checks';
import { PERSISTENCE_LEVELS } from './persistence-level';
import { isRedisClient } from '../redis/redis-connection';
import type { CacheRedisOptions } from '../redis/redis-options';
import type {
  NamespaceDeclaration,
  NamespaceSettings,
  ResolvedCacheOptions,
  ResolvedPersistenceOptions,
  ResolvedRedisOptions,
} from './resolved-options';

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
const PERSISTENCE_KEYS = [
  'dataSource',
  'flushInterval',
  'batchSize',
  'loadOnStartup',
  'migrate',
  'cleanupInterval',
] as const;
const MEMORY_KEYS = ['maxEntries', 'maxBytes'] as const;
const NAMESPACE_KEYS = [
  'name',
  'ttl',
  'tiers',
  'persistence',
  'maxEntries',
  'maxBytes',
  'grace',
] as const;
const TIER_KINDS: readonly TierKind[] = ['memory', 'redis', 'postgres'];
const NAMESPACE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/** Validates `CacheModule.forRoot` options once, at start, and fills in every default. */
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
  return {
    defaultTtl: parseTtl(options.defaultTtl ?? CACHE_DEFAULTS.defaultTtl, 'defaultTtl'),
    prefix,
    memory: validateMemory(options.memory),
    redis,
    bus: redis !== undefined && expectBoolean(options.bus ?? true, 'bus'),
    strict: expectBoolean(options.strict ?? false, 'strict'),
    persistence: validatePersistence(options.persistence),
    maxValueBytes:
      options.maxValueBytes === undefined
        ? 16 * 1024 * 1024
        : expectPositiveInteger(options.maxValueBytes, 'maxValueBytes'),
    metrics:
      options.metrics === undefined || options.metrics === false
        ? false
        : options.metrics === true
          ? {}
          : expectObject(options.metrics, 'metrics'),
    defaultNamespace: validateNamespaceDeclaration(
      options.defaultNamespace ?? CACHE_DEFAULTS.defaultNamespace,
      'defaultNamespace',
    ).name,
    namespaces: validateNamespaceList(namespacesRaw, 'namespaces'),
  };
}

function validateMemory(raw: unknown): ResolvedCacheOptions['memory'] {
  if (raw === false) return false;
  const memory = expectObject(raw ?? {}, 'memory');
  expectKnownKeys(memory, MEMORY_KEYS, 'memory');
  const maxBytes =
    memory.maxBytes === undefined
      ? undefined
      : expectPositiveInteger(memory.maxBytes, 'memory.maxBytes');
  const maxEntries =
    memory.maxEntries === undefined
      ? undefined
      : expectPositiveInteger(memory.maxEntries, 'memory.maxEntries');
  return { maxEntries, maxBytes };
}

/** Validates a list of namespace declarations (strings or objects); `path` prefixes errors. */
export function validateNamespaceList(
  raw: readonly unknown[],
  path: string,
): NamespaceDeclaration[] {
  const declarations = raw.map((item, i) => validateNamespaceDeclaration(item, `${path}[${i}]`));
  const seen = new Map<string, number>();
  declarations.forEach((declaration, i) => {
    const first = seen.get(declaration.name);
    if (first !== undefined) {
      throw new InvalidOptionError(
        `${path}[${i}].name: "${declaration.name}" is already declared at ${path}[${first}]`,
      );
    }
    seen.set(declaration.name, i);
  });
  return declarations;
}

/** Checks one namespace declaration's shape; defaults that depend on the root come later. */
export function validateNamespaceDeclaration(raw: unknown, path: string): NamespaceDeclaration {
  const options = typeof raw === 'string' ? { name: raw } : expectObject(raw, path);
  expectKnownKeys(options, NAMESPACE_KEYS, path);
  const { name } = options;
  if (typeof name !== 'string' || !NAMESPACE_NAME.test(name)) {
    throw new InvalidOptionError(
      `${path}.name: ${describe(name)} is not a valid namespace name`,
      'start with a letter; then up to 63 letters, digits, "_", "-" or "."',
    );
  }
  const declaration: {
    -readonly [K in keyof NamespaceDeclaration]: NamespaceDeclaration[K];
  } = { name };
  if (options.ttl !== undefined) declaration.ttl = parseTtl(options.ttl, `${path}.ttl`);
  if (options.grace !== undefined) declaration.grace = parseTtl(options.grace, `${path}.grace`);
  if (options.tiers !== undefined)
    declaration.tiers = validateTiers(options.tiers, `${path}.tiers`);
  if (options.persistence !== undefined) {
    declaration.persistence = expectOneOf(
      options.persistence,
      PERSISTENCE_LEVELS,
      `${path}.persistence`,
    );
  }
  if (options.maxEntries !== undefined) {
    declaration.maxEntries = expectPositiveInteger(options.maxEntries, `${path}.maxEntries`);
  }
  if (options.maxBytes !== undefined) {
    declaration.maxBytes = expectPositiveInteger(options.maxBytes, `${path}.maxBytes`);
  }
  return declaration;
}

function validateTiers(raw: unknown, path: string): TierKind[] {
  const tiers = expectStringList(raw, path).map((tier, i) =>
    expectOneOf(tier, TIER_KINDS, `${path}[${i}]`),
  );
  if (tiers.length === 0) throw new InvalidOptionError(`${path}: needs at least one tier`);
  if (tiers.includes('memory') && tiers[0] !== 'memory') {
    throw new InvalidOptionError(
      `${path}: "memory" must come first (tiers are listed nearest first)`,
    );
  }
  if (tiers.filter((tier) => tier !== 'memory').length > 1) {
    throw new InvalidOptionError(`${path}: at most one of "redis" and "postgres" per namespace`);
  }
  return tiers;
}

/**
 * Applies the root's defaults to a declaration and checks that its tiers exist in this
 * configuration. `path` names where the declaration came from.
 */
export function resolveNamespaceSettings(
  declaration: NamespaceDeclaration,
  root: ResolvedCacheOptions,
  path: string,
): NamespaceSettings {
  const tiers = declaration.tiers ?? defaultTiers(root);
  for (const tier of tiers) {
    if (tier === 'memory' && !root.memory) {
      throw new InvalidOptionError(
        `${path}.tiers: "memory" is listed but the memory tier is disabled (memory: false)`,
      );
    }
    if ((tier === 'redis' && !root.redis) || (tier === 'postgres' && !persistsToPostgres(root))) {
      throw new InvalidOptionError(
        `${path}.tiers: the "${tier}" tier is not configured in CacheModule.forRoot`,
        tier === 'redis'
          ? 'set CacheModule.forRoot({ redis })'
          : "set CacheModule.forRoot({ persistence: { dataSource } }) to a PostgreSQL DataSource or { type: 'postgres', ... }",
      );
    }
  }
  const memory: { maxEntries?: number; maxBytes?: number } = root.memory || {};
  const maxBytes = declaration.maxBytes ?? memory.maxBytes;
  // The default entry bound applies only when nothing else bounds the namespace.
  const maxEntries =
    declaration.maxEntries ??
    memory.maxEntries ??
    (maxBytes === undefined ? CACHE_DEFAULTS.memoryMaxEntries : undefined);
  return {
    name: declaration.name,
    ttl: declaration.ttl ?? root.defaultTtl,
    tiers,
    persistence: declaration.persistence ?? CACHE_DEFAULTS.persistence,
    maxEntries,
    maxBytes,
    grace: declaration.grace ?? 0,
    maxValueBytes: root.maxValueBytes,
  };
}

function validatePersistence(raw: unknown): ResolvedPersistenceOptions {
  const options = expectObject(raw ?? {}, 'persistence');
  expectKnownKeys(options, PERSISTENCE_KEYS, 'persistence');
  const { dataSource } = options;
  if (
    dataSource !== undefined &&
    (typeof dataSource !== 'object' ||
      dataSource === null ||
      !('options' in dataSource || 'type' in dataSource))
  ) {
    throw new InvalidOptionError(
      `persistence.dataSource: expected a TypeORM DataSource or DataSourceOptions, got ${describe(dataSource)}`,
    );
  }
  return {
    dataSource: dataSource as ResolvedPersistenceOptions['dataSource'],
    flushInterval: parseDuration(options.flushInterval ?? '5s', 'persistence.flushInterval'),
    batchSize:
      options.batchSize === undefined
        ? 1000
        : expectPositiveInteger(options.batchSize, 'persistence.batchSize'),
    loadOnStartup: expectBoolean(options.loadOnStartup ?? true, 'persistence.loadOnStartup'),
    migrate: expectBoolean(options.migrate ?? true, 'persistence.migrate'),
    cleanupInterval: parseDuration(options.cleanupInterval ?? '1m', 'persistence.cleanupInterval'),
    pageSize: 1000,
    configured: raw !== undefined,
  };
}

/** True when persistence goes to PostgreSQL, so the table can serve as a tier. */
function persistsToPostgres(root: ResolvedCacheOptions): boolean {
  const source = root.persistence.dataSource as
    { type?: string; options?: { type?: string } } | undefined;
  return (source?.options?.type ?? source?.type) === 'postgres';
}

function defaultTiers(root: ResolvedCacheOptions): readonly TierKind[] {
  if (!root.redis) return CACHE_DEFAULTS.tiers;
  return root.memory ? CACHE_DEFAULTS.tiersWithRedis : ['redis'];
}

const REDIS_SETTING_KEYS = ['commandTimeout', 'failureThreshold', 'retryAfter'] as const;

function validateRedis(raw: unknown): ResolvedRedisOptions {
  if (isRedisClient(raw)) {
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
    commandTimeout: parseDuration(
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
