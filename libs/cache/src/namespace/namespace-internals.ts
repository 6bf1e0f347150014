import type { RemovalReason } from '../tiers/cache-tier.interface';
import type { TierStack } from '../stack/tier-stack';

/**
 * What the module (not the application) reaches in a namespace: its stack, for warm start, and
 * the hooks its tiers report to. Kept off `NamespaceCache`'s public type.
 */
export interface NamespaceInternals {
  /** The namespace's tiers; warm start restores into it. */
  readonly stack: TierStack;
  /** A tier dropped an entry on its own (eviction, expiry). */
  tierRemoved(key: string, reason: RemovalReason): void;
  /** A fault met on the namespace's behalf (a value that does not decode). */
  fault(operation: string, error: Error, key?: string): void;
  /** Releases the tiers and every listener. */
  close(): Promise<void>;
}

const internals = new WeakMap<object, NamespaceInternals>();

/** Records the internals of `cache`; called once by its constructor. */
export function bindInternals(cache: object, value: NamespaceInternals): void {
  internals.set(cache, value);
}

/** The internals of a `NamespaceCache`. */
export function internalsOf(cache: object): NamespaceInternals {
  const found = internals.get(cache);
  if (found === undefined) throw new TypeError('not a NamespaceCache');
  return found;
}
