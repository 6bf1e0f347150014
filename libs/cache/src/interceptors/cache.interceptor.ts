import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { of, type Observable } from 'rxjs';
import { CacheService } from '../cache.service';
import type { RouteCacheOptions } from '../decorators/cache-options.decorator';
import { defined } from '../decorators/cacheable.decorator';
import type { NamespaceCache } from '../namespace/namespace-cache';
import type { GetOrSetOptions } from '../options/call-options.interface';
import {
  isCacheableResponse,
  isCachedResponse,
  storedForm,
  toCachedResponse,
  type CachedResponse,
  type HttpResponse,
} from './cached-response';
import { serializeStoredJsonOnFastify } from './fastify-stored-json';
import { sendStoredJson } from './stored-json';
import { cacheHandlerValue, HandlerLoad, Uncacheable } from './handler-load';
import { headersNow, headersSetSince } from './handler-headers';
import {
  HTTP_CODE_METADATA,
  routeVersion,
  streamsOrRedirects,
  takesRawResponse,
} from './nest-metadata';
import { routeCacheKey } from './route-key';
import { mergedVary } from './vary-header';
import { routeOptions, RoutePlans, type RoutePlan } from './route-plan';
import { loggedMessage } from '../logging/log-text';

/**
 * Caches GET and HEAD successes of the routes it intercepts (per route, per controller, or
 * globally with `APP_INTERCEPTOR`), configured by `@CacheOptions`. Never caches errors, non-2xx
 * statuses (`@Redirect()` routes), responses that set cookies, routes that take
 * `@Res()`/`@Next()`, SSE or streams.
 * A request carrying credentials is cached only when the route varies on them. Concurrent
 * identical misses run the handler once. Sets `X-Cache: HIT | MISS`. A cache fault is logged and
 * the handler runs: the cache never fails a request. Members are protected for subclasses.
 */
@Injectable()
export class CacheInterceptor implements NestInterceptor {
  protected readonly logger = new Logger('CacheInterceptor');
  private readonly plans = new RoutePlans();
  /** The HTTP adapter's type (`express`, `fastify`), once known. */
  private platform?: string;

  constructor(
    protected readonly cache: CacheService,
    protected readonly reflector: Reflector,
    protected readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The HTTP adapter's type, which says how a hit can send JSON written once. */
  private get onPlatform(): string | undefined {
    return (this.platform ??= this.adapterHost.httpAdapter?.getType());
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    let plan: RoutePlan;
    let key: string | undefined;
    let namespace: NamespaceCache<unknown>;
    try {
      plan = this.planFor(context);
      if (!plan.enabled) return next.handle();
      key = this.trackBy(context, plan.options);
      if (key === undefined) return next.handle();
      namespace = this.cache.namespace(plan.options.namespace ?? this.cache.defaultNamespace);
    } catch (error) {
      this.logger.error(`route served uncached: ${loggedMessage(error)}`);
      return next.handle();
    }
    return context.getType() === 'http'
      ? this.cacheHttp(context, next, namespace, key, plan)
      : cacheHandlerValue(next, namespace, key, plan.load, this.logger);
  }

  /** What never changes for a route: its options and whether it can be cached; kept per route. */
  protected planFor(context: ExecutionContext): RoutePlan {
    const controller = context.getClass();
    const handler = context.getHandler();
    let plan = this.plans.find(controller, handler);
    if (!plan) {
      const options = this.optionsFor(context);
      plan = {
        options,
        enabled:
          options.enabled !== false &&
          !this.takesRawResponse(context) &&
          !streamsOrRedirects(handler),
        // Each header once already (`mergeRouteOptions`), whatever its case.
        vary: (options.vary ?? []).map((name) => name.toLowerCase()),
        version: routeVersion(controller, handler),
        status: this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler) ?? 200,
        load: this.loadOptions(options),
      };
      this.plans.keep(controller, handler, plan);
    }
    return plan;
  }

  /** The route's options, as its `@CacheOptions`, `@CacheKey` and `@CacheTTL` give them. */
  protected optionsFor(context: ExecutionContext): RouteCacheOptions {
    return routeOptions(this.reflector, context);
  }

  /** The cache key of this call, or undefined when it must not be cached. */
  protected trackBy(context: ExecutionContext, options: RouteCacheOptions): string | undefined {
    const plan = this.planFor(context);
    return routeCacheKey(context, options, plan.vary, plan.version);
  }

  /** Routes that write the response themselves (`@Res()`, `@Next()`) are never cached. */
  protected takesRawResponse(context: ExecutionContext): boolean {
    return takesRawResponse(context.getClass(), context.getHandler().name);
  }

  private async cacheHttp(
    context: ExecutionContext,
    next: CallHandler,
    namespace: NamespaceCache<unknown>,
    key: string,
    plan: RoutePlan,
  ): Promise<Observable<unknown>> {
    const response = context.getArgByIndex<HttpResponse>(1);
    const handler = new HandlerLoad(next);
    // The headers before the handler runs, to store those it sets.
    let before: Readonly<Record<string, unknown>> = {};
    try {
      const cached = await namespace.getOrSet(
        key,
        handler.loader(
          (body) => {
            if (!this.isCacheable(plan.status, response, body)) throw new Uncacheable(body);
            const headers = headersSetSince(before, response);
            return this.toCached(plan.status, response, storedForm(body), headers);
          },
          () => (before = headersNow(response)),
        ),
        plan.load,
      );
      if (!isCachedResponse(cached)) return handler.uncached();
      this.reply(response, handler.ran ? 'MISS' : 'HIT', cached, plan.options);
      // A miss hands on the body in its stored form, as a hit does: interceptors further out
      // see the same (deeply frozen) data either way, so one that changes it in place fails on
      // the first request rather than only once the route is cached.
      if (handler.ran) return of(cached.body);
      const platform = this.onPlatform;
      if (platform === 'express') sendStoredJson(response, cached.body);
      else if (platform === 'fastify') serializeStoredJsonOnFastify(response, cached.body);
      return of(cached.body);
    } catch (outcome) {
      return handler.settle(outcome, key, this.logger);
    }
  }

  /** The stored form of a response: status, body, and the headers to send it back with. */
  protected toCached(
    status: number,
    response: HttpResponse,
    body: unknown,
    headers?: Readonly<Record<string, string>>,
  ): CachedResponse {
    return toCachedResponse(status, response, body, headers);
  }

  /** The getOrSet options a route's `@CacheOptions` carry. */
  protected loadOptions(options: RouteCacheOptions): GetOrSetOptions {
    const { ttl, tags, grace, timeout, hardTimeout, refreshAhead } = options;
    return defined({ ttl, tags, grace, timeout, hardTimeout, refreshAhead });
  }

  /** Only 2xx responses with a storable body and no cookie being set are kept. */
  protected isCacheable(status: number, response: HttpResponse, body: unknown): boolean {
    return isCacheableResponse(status, response, body);
  }

  /** Headers and status of a response served from, or just stored in, the cache. */
  protected reply(
    response: HttpResponse,
    outcome: 'HIT' | 'MISS',
    cached: CachedResponse,
    options: RouteCacheOptions,
  ): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'X-Cache', outcome);
    const names = Object.keys(cached.headers);
    for (let i = 0; i < names.length; i++) {
      adapter.setHeader(response, names[i], cached.headers[names[i]]);
    }
    if (options.vary?.length) {
      adapter.setHeader(response, 'Vary', mergedVary(response.getHeader('vary'), options.vary));
    }
    // The status is not set here: Nest applies the route's own (`@HttpCode`), the one stored.
  }
}
