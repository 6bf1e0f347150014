import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { cacheStorageEntity } from '../libs/cache/src/persistence/cache-storage.entity';
import { CreateCacheStorage1763700000000 } from './1763700000000-CreateCacheStorage';
import { ScopeCacheStorageByPrefix1795600000000 } from './1795600000000-ScopeCacheStorageByPrefix';

/**
 * The DataSource of `npm run migration:run`: PostgreSQL at DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres). Rows that predate prefixes go to the prefix in
 * CACHE_PREFIX (default `cache`, the module's default).
 */
export default new DataSource({
  type: 'postgres',
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  entities: [cacheStorageEntity('postgres')],
  migrations: [CreateCacheStorage1763700000000, ScopeCacheStorageByPrefix1795600000000],
});
