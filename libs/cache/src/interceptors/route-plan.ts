import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { CACHE_KEY_METADATA, CACHE_TTL_METADATA } from '../compat/cache-manager.compat';
import {
  CACHE_ROUTE_OPTIONS,
  mergeRouteOptions,
  type RouteCacheOptions,
} from '../decorators/cache-options.decorator';
import type { GetOrSetOptions } from '../options/call-options.interface';

/** What never changes for a route. */
export interface RoutePlan {
  readonly options: RouteCacheOptions;
  /** False when the route is off, takes `@Res()`/`@Next()`, streams (SSE) or redirects. */
  readonly enabled: boolean;
  /** Header names the key varies on, lower case. */
  readonly vary: readonly string[];
  /** The versions the route answers (`routeVersion`), or undefined when it declares none. */
  readonly version?: string;
  readonly status: number;
  readonly load: GetOrSetOptions;
}

/**
 * A route's options as its metadata gives them (`mergeRouteOptions`: the method's over the
 * class's, their `vary` and `tags` together); `@CacheKey` (on the method) and `@CacheTTL` (the
 * names `@nestjs/cache-manager` uses) fill in `key` and `ttl`.
 */
export function routeOptions(reflector: Reflector, context: ExecutionContext): RouteCacheOptions {
  const targets = [context.getHandler(), context.getClass()];
  const [own, inherited] = reflector.getAll<Array<RouteCacheOptions | undefined>>(
    CACHE_ROUTE_OPTIONS,
    targets,
  );
  const options = mergeRouteOptions(inherited, own);
  // On the handler only, as `@nestjs/cache-manager` reads it: on a class, one key would serve
  // one route's response for every other route and URL of the class.
  const key = reflector.get<string | undefined>(CACHE_KEY_METADATA, context.getHandler());
  const ttl = reflector.getAllAndOverride<number | undefined>(CACHE_TTL_METADATA, targets);
  return {
    ...options,
    ...(key !== undefined && { key: options.key ?? key }),
    ...(ttl !== undefined && { ttl: options.ttl ?? ttl }),
  };
}

/**
 * The plans made so far, per controller and handler, held no longer than the classes they
 * describe. The route planned last is answered first: most requests in a row go to one route.
 */
export class RoutePlans {
  private readonly plans = new WeakMap<object, WeakMap<object, RoutePlan>>();
  private last?: { controller: object; handler: object; plan: RoutePlan };

  /** The plan kept for this route, or undefined when it has none yet. */
  find(controller: object, handler: object): RoutePlan | undefined {
    const last = this.last;
    if (last?.handler === handler && last.controller === controller) return last.plan;
    const plan = this.plans.get(controller)?.get(handler);
    if (plan) this.last = { controller, handler, plan };
    return plan;
  }

  /** Keeps `plan` for this route. */
  keep(controller: object, handler: object, plan: RoutePlan): void {
    let plans = this.plans.get(controller);
    if (!plans) this.plans.set(controller, (plans = new WeakMap()));
    plans.set(handler, plan);
    this.last = { controller, handler, plan };
  }
}
