import { InvalidOptionError } from '../errors/cache.error';
import { parseGetOrSetOptions } from '../options/call-options';
import type { GetOrSetOptions } from '../options/call-options.interface';
import type { Duration } from '../options/duration';
import { CacheableCall } from './cacheable-call';
import { methodCallKey } from './method-key';
import { methodCacheLogger, wrappingDecorator } from './method-cache';
import { loggedMessage } from '../logging/log-text';

/** Options of `@Cacheable` and `@CachePut`. */
export interface CacheableOptions<Args extends unknown[] = unknown[], Result = unknown> {
  /** The namespace results go to. */
  namespace: string;
  /**
   * Time to live of a result.
   * @default the namespace's `ttl`
   */
  ttl?: Duration;
  /**
   * The key of a call.
   * @default class name, method name and the arguments as stable JSON
   */
  key?: (...args: Args) => string;
  /** Tags of the stored results, fixed or from the arguments. */
  tags?: string[] | ((...args: Args) => string[]);
  /** Decides before the call: false calls the method without the cache. */
  condition?: (...args: Args) => boolean;
  /** Decides after the call: true returns the result without storing it. */
  unless?: (result: Result) => boolean;
  /** As `getOrSet`'s: serve a stale result this long past its TTL when the method fails. */
  grace?: Duration;
  /** As `getOrSet`'s soft timeout. */
  timeout?: Duration;
  /** As `getOrSet`'s hard timeout. */
  hardTimeout?: Duration;
  /** As `getOrSet`'s refreshAhead. */
  refreshAhead?: number;
  /** As `getOrSet`'s lock: one call across instances sharing Redis. */
  lock?: GetOrSetOptions['lock'];
}

/** The options only `@Cacheable` uses: its ways around a slow or failing method. */
const LOADER_ONLY = ['grace', 'timeout', 'hardTimeout', 'refreshAhead', 'lock'] as const;

/**
 * Checks the options of `@Cacheable` (or of `@CachePut`, which stores without loading, so it
 * refuses the options of a load) as `getOrSet` would, naming `path` in the error.
 */
export function checkCacheableOptions(
  options: CacheableOptions,
  path: string,
  loads: boolean,
): void {
  for (const name of ['key', 'condition'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidOptionError(`${path}.${name}: expected a function`);
    }
  }
  if (!loads) {
    const given = LOADER_ONLY.find((name) => options[name] !== undefined);
    if (given !== undefined) {
      throw new InvalidOptionError(
        `${path}: ${given} is an option of @Cacheable only`,
        '@CachePut stores what the method returns without loading it; drop the option',
      );
    }
  }
  const tags = typeof options.tags === 'function' ? undefined : options.tags;
  parseGetOrSetOptions(defined({ ...loadOptionsOf(options), tags }), path);
}

/** The `getOrSet` options of a `@Cacheable` but its tags (which may depend on the call). */
function loadOptionsOf(options: CacheableOptions): GetOrSetOptions {
  const { ttl, unless, grace, timeout, hardTimeout, refreshAhead, lock } = options;
  return defined({ ttl, unless, grace, timeout, hardTimeout, refreshAhead, lock });
}

/** Resolves the key and tags of one call; undefined when it cannot be keyed (then uncached). */
export function callTarget(
  options: CacheableOptions,
  args: unknown[],
  where: { className: string; method: string },
): { key: string; tags?: string[] } | undefined {
  try {
    const key = options.key
      ? options.key(...args)
      : methodCallKey(where.className, where.method, args);
    const tags = typeof options.tags === 'function' ? options.tags(...args) : options.tags;
    return { key, tags };
  } catch (error) {
    methodCacheLogger.warn(
      `${where.className}.${where.method}: runs uncached, no key: ${loggedMessage(error)}`,
    );
    return undefined;
  }
}

/**
 * What a predicate of the options (`condition`, `unless`) answers, or `whenThrown` when it throws,
 * which is logged: a fault of the cache's settings never fails the call, it only stores nothing.
 */
export function answerOf(
  where: { className: string; method: string },
  name: string,
  predicate: () => unknown,
  whenThrown: boolean,
): boolean {
  try {
    return Boolean(predicate());
  } catch (error) {
    methodCacheLogger.warn(
      `${where.className}.${where.method}: not cached, its ${name} threw: ${loggedMessage(error)}`,
    );
    return whenThrown;
  }
}

/**
 * Caches the result of a method returning a Promise: a call whose key holds a value returns it
 * without running the method; concurrent calls of one missing key run it once. Results come back
 * as deeply frozen copies, on the first call as on later ones. A result the cache cannot store
 * is logged and returned as the method gave it (see `CacheableCall`): it never fails the call.
 */
export function Cacheable<Args extends unknown[] = unknown[], Result = unknown>(
  options: CacheableOptions<Args, Result>,
): MethodDecorator {
  const settings = options as unknown as CacheableOptions;
  const check = (path: string): void => checkCacheableOptions(settings, path, true);
  // Built once: only the key and tags depend on the call.
  const load = settings && loadOptionsOf(settings);
  return wrappingDecorator(
    'Cacheable',
    options?.namespace,
    (namespace, call, args, where) => {
      const { condition } = settings;
      if (condition && !answerOf(where, 'condition', () => condition(...args), false)) {
        return call();
      }
      const target = callTarget(settings, args, where);
      if (!target) return call();
      const cached = new CacheableCall(call, where);
      return namespace
        .getOrSet(target.key, cached.loader, { ...load, tags: target.tags })
        .catch((outcome: unknown) => cached.settle(outcome));
    },
    check,
  );
}

/** The fields of `options` that are set, so unset ones fall back to the namespace's. */
export function defined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
