import { NamespaceCache } from '../namespace/namespace-cache';
import { internalsOf } from '../namespace/namespace-internals';
import { PersistenceLevel } from '../options/persistence-level';
import type { NamespaceSettings } from '../options/resolved-options';
import { MemoryTier } from '../tiers/memory.tier';

/** Namespace settings for specs: memory only, one minute, overridable. */
export function namespaceSettings(overrides: Partial<NamespaceSettings> = {}): NamespaceSettings {
  return {
    name: 'test',
    ttl: 60_000,
    tiers: ['memory'],
    persistence: PersistenceLevel.MEMORY_ONLY,
    maxEntries: 1000,
    maxBytes: undefined,
    grace: 0,
    maxValueBytes: 1_000_000,
    ...overrides,
  };
}

/**
 * A NamespaceCache on a memory tier; with `twoTiers`, over a second memory tier that stands in
 * for a remote one, exercising the two-tier paths.
 */
export function createNamespaceCache<V = unknown>(
  overrides: Partial<NamespaceSettings> = {},
  twoTiers = false,
): NamespaceCache<V> {
  const settings = namespaceSettings(overrides);
  const near = new MemoryTier({
    maxEntries: settings.maxEntries,
    maxBytes: settings.maxBytes,
    onRemoved: (key, reason) => internalsOf(cache).tierRemoved(key, reason),
  });
  const far = twoTiers ? new MemoryTier({ maxEntries: 1000 }) : undefined;
  const cache: NamespaceCache<V> = new NamespaceCache<V>(settings, { near, far });
  return cache;
}

/** A promise and the functions that settle it, for loaders a test controls. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
