import type { NamespaceCache } from '../namespace/namespace-cache';
import { methodCacheLogger, wrappingDecorator } from './method-cache';
import { loggedMessage } from '../logging/log-text';

/** Options of `@CacheEvict`. */
export interface CacheEvictOptions<Args extends unknown[] = unknown[]> {
  /** The namespace to evict from. */
  namespace: string;
  /** Keys to delete, fixed or from the arguments. */
  keys?: string[] | ((...args: Args) => string[]);
  /** Tags to invalidate, fixed or from the arguments. */
  tags?: string[] | ((...args: Args) => string[]);
  /** Clear the whole namespace. */
  allEntries?: boolean;
  /**
   * Evict before the method runs (then even if it fails).
   * @default false: after it succeeds; a failed call evicts nothing
   */
  beforeInvocation?: boolean;
}

/**
 * Evicts entries when the method (a provider method or a mutating route) succeeds: the given
 * keys, the given tags, or everything. A failure to evict is logged; it never fails the call.
 */
export function CacheEvict<Args extends unknown[] = unknown[]>(
  options: CacheEvictOptions<Args>,
): MethodDecorator {
  const settings = options as unknown as CacheEvictOptions;
  return wrappingDecorator(
    'CacheEvict',
    options?.namespace,
    async (namespace, call, args, where) => {
      const evict = (): Promise<void> =>
        evictFor(namespace, settings, args).catch((error: Error) =>
          methodCacheLogger.warn(
            `${where.className}.${where.method}: eviction failed: ${loggedMessage(error)}`,
          ),
        );
      if (settings.beforeInvocation) {
        await evict();
        return call();
      }
      const result = await call();
      await evict();
      return result;
    },
  );
}

async function evictFor(
  namespace: NamespaceCache<unknown>,
  options: CacheEvictOptions,
  args: unknown[],
): Promise<void> {
  if (options.allEntries) {
    await namespace.clear();
    return;
  }
  const keys = typeof options.keys === 'function' ? options.keys(...args) : (options.keys ?? []);
  const tags = typeof options.tags === 'function' ? options.tags(...args) : (options.tags ?? []);
  for (const key of keys) await namespace.delete(key);
  if (tags.length > 0) await namespace.invalidateTags(tags);
}
