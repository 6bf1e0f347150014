import {
  answerOf,
  callTarget,
  checkCacheableOptions,
  type CacheableOptions,
} from './cacheable.decorator';
import { methodCacheLogger, wrappingDecorator } from './method-cache';
import { loggedMessage } from '../logging/log-text';

/**
 * Always runs the method, then stores its result under the call's key, so later `@Cacheable`
 * reads of that key see it. It takes the options of `@Cacheable` but those of a load (`grace`,
 * the timeouts, `refreshAhead`, `lock`), refused when the class is defined. A failure to store
 * (a `condition` or `unless` that throws included) is logged; it never fails the call.
 */
export function CachePut<Args extends unknown[] = unknown[], Result = unknown>(
  options: CacheableOptions<Args, Result>,
): MethodDecorator {
  const settings = options as unknown as CacheableOptions;
  const check = (path: string): void => checkCacheableOptions(settings, path, false);
  return wrappingDecorator(
    'CachePut',
    options?.namespace,
    async (namespace, call, args, where) => {
      const result = await call();
      const { condition, unless } = settings;
      if (condition && !answerOf(where, 'condition', () => condition(...args), false)) {
        return result;
      }
      if (result === undefined) return result;
      if (unless && answerOf(where, 'unless', () => unless(result), true)) return result;
      const target = callTarget(settings, args, where);
      if (!target) return result;
      try {
        await namespace.set(target.key, result, { ttl: settings.ttl, tags: target.tags });
      } catch (error) {
        methodCacheLogger.warn(
          `${where.className}.${where.method}: result not stored: ${loggedMessage(error)}`,
        );
      }
      return result;
    },
    check,
  );
}
