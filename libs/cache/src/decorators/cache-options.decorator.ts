import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Duration } from '../options/duration';
import { requestNamespace } from './namespace-requests';

/** Metadata key of `@CacheOptions`. */
export const CACHE_ROUTE_OPTIONS = Symbol('cache:route-options');

/** How `CacheInterceptor` caches a route (or a GraphQL / microservice handler). */
export interface RouteCacheOptions {
  /**
   * Namespace the responses go to.
   * @default the module's `defaultNamespace` ('http')
   */
  namespace?: string;
  /**
   * Time to live of a cached response.
   * @default the namespace's `ttl`
   */
  ttl?: Duration;
  /** Tags of the cached responses, for `@CacheEvict({ tags })` or `invalidateTags`. */
  tags?: string[];
  /**
   * The cache key, instead of method + path + sorted query. Required for handlers that are not
   * HTTP (GraphQL, microservices): without it they are never cached.
   */
  key?: string | ((context: ExecutionContext) => string | undefined);
  /**
   * Request headers whose values are part of the key. A request carrying `Authorization` or a
   * cookie is cached only when the route varies on that header (then per user).
   */
  vary?: string[];
  /** `false` turns caching off for a route of a class that has it on. */
  enabled?: boolean;
  /** As `getOrSet`'s: serve a stale response this long past its TTL when the handler fails. */
  grace?: Duration;
  /** As `getOrSet`'s soft timeout. */
  timeout?: Duration;
  /** As `getOrSet`'s hard timeout. */
  hardTimeout?: Duration;
  /** As `getOrSet`'s refreshAhead. */
  refreshAhead?: number;
}

/**
 * Sets how `CacheInterceptor` caches the routes of a class or one route. A method's options
 * override the class's one by one (`mergeRouteOptions`); `vary` and `tags` add to the class's.
 */
export const CacheOptions = (options: RouteCacheOptions): ClassDecorator & MethodDecorator => {
  const setMetadata = SetMetadata(CACHE_ROUTE_OPTIONS, options);
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const type = typeof target === 'function' ? target : target.constructor;
    if (typeof options?.namespace === 'string') {
      // Checked when the application starts, like every namespace a decorator names.
      requestNamespace(type, {
        namespace: options.namespace,
        by: `${type.name}${key === undefined ? '' : `.${String(key)}`} (@CacheOptions)`,
      });
    }
    return (setMetadata as (...args: unknown[]) => unknown)(target, key, descriptor);
  }) as ClassDecorator & MethodDecorator;
};

/**
 * A route's options from its class's and its method's `@CacheOptions`: each option the method
 * gives overrides the class's, except `vary` and `tags`, which hold for every route of the class
 * and to which a method adds its own (a method's `ttl` must not drop the header its class varies
 * on, or one tenant's response would be served to another).
 */
export function mergeRouteOptions(
  inherited: RouteCacheOptions | undefined,
  own: RouteCacheOptions | undefined,
): RouteCacheOptions {
  const merged: RouteCacheOptions = { ...inherited };
  for (const [name, value] of Object.entries(own ?? {}) as Array<
    [keyof RouteCacheOptions, unknown]
  >) {
    if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
  }
  const vary = joined([...(inherited?.vary ?? []), ...(own?.vary ?? [])], true);
  const tags = joined([...(inherited?.tags ?? []), ...(own?.tags ?? [])], false);
  if (vary) merged.vary = vary;
  if (tags) merged.tags = tags;
  return merged;
}

/**
 * `items` each once, in order, the first spelling kept (header names are one whatever their
 * case: `caseless`); undefined when there are none.
 */
export function joined(items: readonly string[], caseless: boolean): string[] | undefined {
  if (items.length === 0) return undefined;
  const seen = new Set<string>();
  return items.filter((item) => {
    const name = caseless ? item.toLowerCase() : item;
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}
