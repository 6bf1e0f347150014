import { SetMetadata } from '@nestjs/common';
import type { NamespaceCache } from '../namespace/namespace-cache';

/**
 * The token `@nestjs/cache-manager` injects its cache under: here, the default namespace behind
 * cache-manager's method names, so `@Inject(CACHE_MANAGER) cache: Cache` code keeps working.
 */
export const CACHE_MANAGER = 'CACHE_MANAGER';

/** Metadata keys of `@CacheKey` / `@CacheTTL`, read by `CacheInterceptor`. */
export const CACHE_KEY_METADATA = 'cache_module:cache_key';
export const CACHE_TTL_METADATA = 'cache_module:cache_ttl';

/**
 * `@nestjs/cache-manager`'s `@CacheKey(key)`: the route's cache key. Read on the method only, as
 * there: on a class it does nothing (one key for every route of the class would mix them).
 */
export const CacheKey = (key: string): ClassDecorator & MethodDecorator =>
  SetMetadata(CACHE_KEY_METADATA, key);

/** `@nestjs/cache-manager`'s `@CacheTTL(ms)`: the route's time to live in milliseconds. */
export const CacheTTL = (ttl: number): ClassDecorator & MethodDecorator =>
  SetMetadata(CACHE_TTL_METADATA, ttl);

/** The methods of cache-manager's `Cache` that Nest apps use, over a namespace. */
export interface CacheManagerCompat {
  get<T>(key: string): Promise<T | undefined>;
  /** `ttl` in milliseconds, as in cache-manager 6+. */
  set<T>(key: string, value: T, ttl?: number): Promise<T>;
  del(key: string): Promise<boolean>;
  clear(): Promise<boolean>;
  wrap<T>(key: string, fn: () => Promise<T>, ttl?: number): Promise<T>;
  mget<T>(keys: string[]): Promise<Array<T | undefined>>;
  mset<T>(
    entries: Array<{ key: string; value: T; ttl?: number }>,
  ): Promise<Array<{ key: string; value: T; ttl?: number }>>;
  ttl(key: string): Promise<number | null>;
}

/**
 * cache-manager's method names over a namespace, resolved on first use (so an app that never
 * touches `CACHE_MANAGER` registers no namespace for it).
 */
export function cacheManagerCompat(resolve: () => NamespaceCache<unknown>): CacheManagerCompat {
  let resolved: NamespaceCache<unknown> | undefined;
  const cache = (): NamespaceCache<unknown> => (resolved ??= resolve());
  const ttlOption = (ttl?: number) => (ttl === undefined || ttl <= 0 ? undefined : { ttl });
  return {
    get: async <T>(key: string) => (await cache().get(key)) as T | undefined,
    set: async <T>(key: string, value: T, ttl?: number) => {
      await cache().set(key, value, ttlOption(ttl));
      return value;
    },
    del: (key) => cache().delete(key),
    clear: async () => {
      await cache().clear();
      return true;
    },
    wrap: async <T>(key: string, fn: () => Promise<T>, ttl?: number) =>
      (await cache().getOrSet(key, fn, ttlOption(ttl))) as T,
    mget: async <T>(keys: string[]) => (await cache().getMany(keys)) as Array<T | undefined>,
    mset: async (entries) => {
      await cache().setMany(
        entries.map(({ key, value, ttl }) => [key, value, ttlOption(ttl)] as const),
      );
      return entries;
    },
    ttl: async (key) => {
      const remaining = await cache().getTtl(key);
      return remaining === undefined
        ? null
        : remaining === Infinity
          ? null
          : Date.now() + remaining;
    },
  };
}
