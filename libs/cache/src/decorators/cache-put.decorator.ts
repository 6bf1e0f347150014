import { callTarget, type CacheableOptions } from './cacheable.decorator';
import { methodCacheLogger, wrappingDecorator } from './method-cache';

/**
 * Always runs the method, then stores its result under the call's key (same options as
 * `@Cacheable`), so later `@Cacheable` reads of that key see it. A failure to store is logged;
 * it never fails the call.
 */
export function CachePut<Args extends unknown[] = unknown[], Result = unknown>(
  options: CacheableOptions<Args, Result>,
): MethodDecorator {
  const settings = options as unknown as CacheableOptions;
  return wrappingDecorator('CachePut', options?.namespace, async (namespace, call, args, where) => {
    const result = await call();
    if (settings.condition && !settings.condition(...args)) return result;
    if (result === undefined || settings.unless?.(result)) return result;
    const target = callTarget(settings, args, where);
    if (!target) return result;
    try {
      await namespace.set(target.key, result, { ttl: settings.ttl, tags: target.tags });
    } catch (error) {
      methodCacheLogger.warn(
        `${where.className}.${where.method}: result not stored: ${(error as Error).message}`,
      );
    }
    return result;
  });
}
