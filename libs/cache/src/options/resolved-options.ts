import type { DataSource, DataSourceOptions } from 'typeorm';
import type { MetricsOptions } from './metrics-options';
import type { CacheRedisOptions } from '../redis/redis-options';
import type { PersistenceLevel } from './persistence-level';
import type { TierKind } from './cache-options.interface';

/** A namespace's settings after validation and defaults: what the runtime uses. */
export interface NamespaceSettings {
  readonly name: string;
  /** Milliseconds; `Infinity` = no expiry. */
  readonly ttl: number;
  readonly tiers: readonly TierKind[];
  readonly persistence: PersistenceLevel;
  readonly maxEntries: number | undefined;
  readonly maxBytes: number | undefined;
  /** Milliseconds entries outlive their TTL for `getOrSet`; 0 = none. */
  readonly grace: number;
  /** Largest value a write accepts, in bytes. */
  readonly maxValueBytes: number;
}

/** A namespace declaration whose shape was checked; defaults that depend on the root apply later. */
export interface NamespaceDeclaration {
  readonly name: string;
  readonly ttl?: number;
  readonly tiers?: readonly TierKind[];
  readonly persistence?: PersistenceLevel;
  readonly maxEntries?: number;
  readonly maxBytes?: number;
  readonly grace?: number;
}

/** Redis settings after validation and defaults. */
export interface ResolvedRedisOptions {
  /** How to connect, as the user gave it. */
  readonly connection: CacheRedisOptions;
  readonly commandTimeout: number;
  readonly failureThreshold: number;
  readonly retryAfter: number;
}

/** Persistence settings after validation and defaults. */
export interface ResolvedPersistenceOptions {
  readonly dataSource: DataSource | DataSourceOptions | undefined;
  readonly flushInterval: number;
  readonly batchSize: number;
  readonly loadOnStartup: boolean;
  readonly migrate: boolean;
  readonly cleanupInterval: number;
  /** Rows per page when loading at start. */
  readonly pageSize: number;
  /** True when `persistence` was given: the store opens at start. */
  readonly configured: boolean;
}

/** The module options after validation and defaults. */
export interface ResolvedCacheOptions {
  readonly defaultTtl: number;
  readonly prefix: string;
  readonly redis: ResolvedRedisOptions | undefined;
  readonly bus: boolean;
  readonly strict: boolean;
  readonly defaultNamespace: string;
  readonly persistence: ResolvedPersistenceOptions;
  readonly metrics: MetricsOptions | false;
  readonly maxValueBytes: number;
  /** Bounds given explicitly at the root (defaults apply per namespace), or false. */
  readonly memory: { readonly maxEntries?: number; readonly maxBytes?: number } | false;
  readonly namespaces: readonly NamespaceDeclaration[];
}
