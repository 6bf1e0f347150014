import { InvalidOptionError } from '../errors/cache.error';
import { CACHE_DEFAULTS } from './cache-options.defaults';
import type { TierKind } from './cache-options.interface';
import { parseTtl } from './duration';
import {
  describe,
  expectKnownKeys,
  expectObject,
  expectOneOf,
  expectPositiveInteger,
  expectStringList,
} from './option-checks';
import { PERSISTENCE_LEVELS } from './persistence-level';
import { persistsToPostgres } from './persistence-options';
import type {
  NamespaceDeclaration,
  NamespaceSettings,
  ResolvedCacheOptions,
} from './resolved-options';

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
    grace: declaration.grace ?? CACHE_DEFAULTS.grace,
    maxValueBytes: root.maxValueBytes,
  };
}

function defaultTiers(root: ResolvedCacheOptions): readonly TierKind[] {
  if (!root.redis) return CACHE_DEFAULTS.tiers;
  return root.memory ? CACHE_DEFAULTS.tiersWithRedis : ['redis'];
}

/**
 * The first setting in which `a` and `b` differ, as `field: a vs b`; undefined when a namespace
 * registered twice asks for the same thing both times.
 */
export function settingsDifference(a: NamespaceSettings, b: NamespaceSettings): string | undefined {
  for (const field of ['ttl', 'persistence', 'maxEntries', 'maxBytes', 'grace'] as const) {
    if (a[field] !== b[field]) return `${field}: ${String(a[field])} vs ${String(b[field])}`;
  }
  if (a.tiers.join() !== b.tiers.join())
    return `tiers: [${a.tiers.join(', ')}] vs [${b.tiers.join(', ')}]`;
  return undefined;
}
