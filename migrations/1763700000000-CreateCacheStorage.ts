/** The cache_storage migration, as the typeorm CLI finds it; the module runs the same class. */
export { CreateCacheStorage1763700000000 } from '../libs/cache/src/persistence/create-cache-storage.migration';
