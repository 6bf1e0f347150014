import {
  Injectable,
  Logger,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { of, type Observable } from 'rxjs';
import { CacheService } from '../cache.service';
import { CACHE_KEY_METADATA, CACHE_TTL_METADATA } from '../compat/cache-manager.compat';
import {
  CACHE_ROUTE_OPTIONS,
  mergeRouteOptions,
  type RouteCacheOptions,
} from '../decorators/cache-options.decorator';
import { defined } from '../decorators/cacheable.decorator';
import type { NamespaceCache } from '../namespace/namespace-cache';
import type { GetOrSetOptions } from '../options/cache-options.interface';
import { isCachedResponse, jsonDiffersFromStored, type CachedResponse } from './cached-response';
import { serializeStoredJsonOnFastify } from './fastify-stored-json';
import { sendStoredJson } from './stored-json';
import { cacheHandlerValue, HandlerLoad, Uncacheable } from './handler-load';
import {
  carriesUnvariedCredentials,
  explicitCacheKey,
  httpCacheKey,
  type KeyedRequest,
} from './http-cache-key';
import {
  HTTP_CODE_METADATA,
  NEXT_PARAM,
  RESPONSE_PARAM,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
} from './nest-metadata';

/** Raw request and response as Express and Fastify both expose them. */
interface HttpRequest extends KeyedRequest {
  readonly originalUrl?: string;
}
interface HttpResponse {
  getHeader(name: string): unknown;
  /** Fastify's reply wraps the Node response. */
  readonly raw?: { getHeader(name: string): unknown };
}

/** What never changes for a route. */
interface RoutePlan {
  readonly options: RouteCacheOptions;
  /** False when the route is off, takes `@Res()`/`@Next()`, or streams (SSE). */
  readonly enabled: boolean;
  /** Header names the key varies on, lower case. */
  readonly vary: readonly string[];
  readonly status: number;
  readonly load: GetOrSetOptions;
}

/**
 * Caches GET and HEAD successes of the routes it intercepts (per route, per controller, or
 * globally with `APP_INTERCEPTOR`), configured by `@CacheOptions`. Never caches errors, non-2xx
 * statuses, responses that set cookies, routes that take `@Res()`/`@Next()`, SSE or streams.
 * A request carrying credentials is cached only when the route varies on them. Concurrent
 * identical misses run the handler once. Sets `X-Cache: HIT | MISS`. A cache fault is logged and
 * the handler runs: the cache never fails a request. Members are protected for subclasses.
 */
@Injectable()
export class CacheInterceptor implements NestInterceptor {
  protected readonly logger = new Logger('CacheInterceptor');
  private readonly plans = new WeakMap<object, WeakMap<object, RoutePlan>>();
  /** The route planned last: most requests in a row go to one route. */
  private last?: { controller: object; handler: object; plan: RoutePlan };
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
      this.logger.error(`route served uncached: ${(error as Error).message}`);
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
    const last = this.last;
    if (last?.handler === handler && last.controller === controller) return last.plan;
    let plans = this.plans.get(controller);
    if (!plans) this.plans.set(controller, (plans = new WeakMap()));
    let plan = plans.get(handler);
    if (!plan) {
      const options = this.optionsFor(context);
      plan = {
        options,
        enabled:
          options.enabled !== false &&
          !this.takesRawResponse(context) &&
          !this.reflector.get(SSE_METADATA, handler),
        // Each header once already (`mergeRouteOptions`), whatever its case.
        vary: (options.vary ?? []).map((name) => name.toLowerCase()),
        status: this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler) ?? 200,
        load: this.loadOptions(options),
      };
      plans.set(handler, plan);
    }
    this.last = { controller, handler, plan };
    return plan;
  }

  /**
   * The route's options (`mergeRouteOptions`: the method's over the class's, their `vary` and
   * `tags` together); `@CacheKey` and `@CacheTTL` (the names `@nestjs/cache-manager` uses) fill in
   * `key` and `ttl`.
   */
  protected optionsFor(context: ExecutionContext): RouteCacheOptions {
    const targets = [context.getHandler(), context.getClass()];
    const [own, inherited] = this.reflector.getAll<Array<RouteCacheOptions | undefined>>(
      CACHE_ROUTE_OPTIONS,
      targets,
    );
    const options = mergeRouteOptions(inherited, own);
    const key = this.reflector.getAllAndOverride<string | undefined>(CACHE_KEY_METADATA, targets);
    const ttl = this.reflector.getAllAndOverride<number | undefined>(CACHE_TTL_METADATA, targets);
    return {
      ...options,
      ...(key !== undefined && { key: options.key ?? key }),
      ...(ttl !== undefined && { ttl: options.ttl ?? ttl }),
    };
  }

  /** The cache key of this call, or undefined when it must not be cached. */
  protected trackBy(context: ExecutionContext, options: RouteCacheOptions): string | undefined {
    const http = context.getType() === 'http';
    const vary = this.planFor(context).vary;
    let request: HttpRequest | undefined;
    if (http) {
      // Whatever the key, only reads are cached, and never a user's across users. The request is
      // the first argument (what `switchToHttp().getRequest()` reads, without building a view).
      request = context.getArgByIndex<HttpRequest>(0);
      if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
      if (carriesUnvariedCredentials(request, vary)) return undefined;
    }
    if (options.key !== undefined) {
      const key = typeof options.key === 'function' ? options.key(context) : options.key;
      // Whatever makes the key, the varied headers go into it.
      return key === undefined || !request ? key : explicitCacheKey(key, request, vary);
    }
    if (!request) return undefined;
    const url = request.originalUrl ?? request.url;
    return httpCacheKey({ method: request.method, url, headers: request.headers }, vary);
  }

  /** Routes that write the response themselves (`@Res()`, `@Next()`) are never cached. */
  protected takesRawResponse(context: ExecutionContext): boolean {
    const args = Reflect.getMetadata(
      ROUTE_ARGS_METADATA,
      context.getClass(),
      context.getHandler().name,
    ) as Record<string, unknown> | undefined;
    return Object.keys(args ?? {}).some((arg) => {
      const type = Number(arg.split(':')[0]);
      return type === RESPONSE_PARAM || type === NEXT_PARAM;
    });
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
    try {
      const cached = await namespace.getOrSet(
        key,
        handler.loader((body) => {
          if (!this.isCacheable(plan.status, response, body)) throw new Uncacheable(body);
          return this.toCached(plan.status, response, body);
        }),
        plan.load,
      );
      if (!isCachedResponse(cached)) return handler.uncached();
      this.reply(response, handler.ran ? 'MISS' : 'HIT', cached, plan.options);
      // The request that ran the handler sends its own body; the others the stored one, the same
      // data (an object stays an object for interceptors further out).
      if (handler.produced) return of(handler.produced.body);
      const platform = this.onPlatform;
      if (platform === 'express') sendStoredJson(response, cached.body);
      else if (platform === 'fastify') serializeStoredJsonOnFastify(response, cached.body);
      return of(cached.body);
    } catch (outcome) {
      return handler.settle(outcome, key, this.logger);
    }
  }

  /** The stored form of a response: status, body, and the content type to send it back with. */
  protected toCached(status: number, response: HttpResponse, body: unknown): CachedResponse {
    const contentType = response.getHeader('content-type');
    return {
      status,
      body,
      headers: typeof contentType === 'string' ? { 'content-type': contentType } : {},
    };
  }

  /** The getOrSet options a route's `@CacheOptions` carry. */
  protected loadOptions(options: RouteCacheOptions): GetOrSetOptions {
    const { ttl, tags, grace, timeout, hardTimeout, refreshAhead } = options;
    return defined({ ttl, tags, grace, timeout, hardTimeout, refreshAhead });
  }

  /** Only 2xx responses with a storable body and no cookie being set are kept. */
  protected isCacheable(status: number, response: HttpResponse, body: unknown): boolean {
    if (status < 200 || status >= 300) return false;
    // Middleware may have set the cookie on the Node response under Fastify's reply.
    const cookie = response.getHeader('set-cookie') ?? response.raw?.getHeader('set-cookie');
    if (cookie !== undefined) return false;
    if (body === undefined || body instanceof StreamableFile || Buffer.isBuffer(body)) return false;
    if (jsonDiffersFromStored(body)) return false;
    return typeof (body as { pipe?: unknown }).pipe !== 'function';
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
    if (options.vary?.length) adapter.setHeader(response, 'Vary', options.vary.join(', '));
    // The status is not set here: Nest applies the route's own (`@HttpCode`), the one stored.
  }
}
