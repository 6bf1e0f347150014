/**
 * Scopes cache_storage by the application's prefix (CACHE_PREFIX, default `cache`, claims the
 * rows already there), as the typeorm CLI finds it; the module runs the same class.
 */
export { ScopeCacheStorageByPrefix1795600000000 } from '../libs/cache/src/persistence/scope-cache-storage.migration';
