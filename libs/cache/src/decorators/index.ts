export * from './cache-evict.decorator';
export * from './cache-options.decorator';
export * from './cache-put.decorator';
export * from './cacheable.decorator';
export * from './inject-cache.decorator';
export { CacheNotReadyError } from './method-cache';
export { UndeclaredNamespaceError } from './namespace-check';
