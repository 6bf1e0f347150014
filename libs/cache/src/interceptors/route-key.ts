import type { ExecutionContext } from '@nestjs/common';
import type { RouteCacheOptions } from '../decorators/cache-options.decorator';
import { assertKey } from '../values/validate-key';
import {
  carriesUnvariedCredentials,
  explicitCacheKey,
  httpCacheKey,
  type KeyedRequest,
} from './http-cache-key';

/** A raw request as Express and Fastify both expose it. */
interface HttpRequest extends KeyedRequest {
  readonly originalUrl?: string;
}

/**
 * The cache key of one call to a route, or undefined when it must not be cached: an HTTP call
 * only when it reads (GET, HEAD) and carries no credential the route does not vary on (`vary`,
 * lower case); keyed by the route's own key when it has one, else by its URL (`httpCacheKey`).
 * A call that is not HTTP is cached only under a key of the route's; one that is not a valid key
 * (a list a key function read from the query) throws `E_CACHE_INVALID_KEY`. A URL key holds the
 * route's `version` (see `routeVersion`): one URL may reach a handler per version.
 */
export function routeCacheKey(
  context: ExecutionContext,
  options: RouteCacheOptions,
  vary: readonly string[],
  version?: string,
): string | undefined {
  let request: HttpRequest | undefined;
  if (context.getType() === 'http') {
    // Whatever the key, only reads are cached, and never a user's across users. The request is
    // the first argument (what `switchToHttp().getRequest()` reads, without building a view).
    request = context.getArgByIndex<HttpRequest>(0);
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    if (carriesUnvariedCredentials(request, vary)) return undefined;
  }
  if (options.key !== undefined) {
    const key: unknown = typeof options.key === 'function' ? options.key(context) : options.key;
    if (key === undefined) return undefined;
    // A key read from the request may be a list (`?id=a&id=b`): made text, it would be another's.
    assertKey(key, 'the route key');
    // Whatever makes the key, the varied headers go into it.
    return request ? explicitCacheKey(key, request, vary) : key;
  }
  if (!request) return undefined;
  const url = request.originalUrl ?? request.url;
  return httpCacheKey({ method: request.method, url, headers: request.headers }, vary, version);
}
