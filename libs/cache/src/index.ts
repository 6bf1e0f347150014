export * from './cache.module';
export * from './cache.service';
export * from './cache-report';
export * from './cache.tokens';
export * from './decorators';
export * from './errors';
export * from './events';
export * from './compat';
export * from './health';
export * from './interceptors';
export { LoaderTimeoutError } from './loading';
export type { LatencyTotals, MetricsOptions } from './metrics';
export { LOADER_CHANNEL, TIER_CHANNEL } from './metrics';
export { NamespaceCache, type CacheLoader } from './namespace';
export { MissingPeerError } from './optional-peer';
export type { InvalidationCallback } from './namespace';
export type {
  CacheModuleOptions,
  MemoryOptions,
  NamespaceOptions,
  TierKind,
} from './options/cache-options.interface';
export type { GetOrSetOptions, SetOptions } from './options/call-options.interface';
export type { Duration } from './options/duration';
export { PersistenceLevel } from './options/persistence-level';
export type { NamespaceSettings } from './options/resolved-options';
export type { NamespaceStats } from './stats';
