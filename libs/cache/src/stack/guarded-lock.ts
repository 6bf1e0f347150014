import type { LockOperations } from '../loading/locked-load';
import type { CacheEntry } from '../tiers/cache-entry';
import { freshEntry } from '../tiers/entry-rules';
import type { FarBudget } from './far-budget';
import type { FarGuard } from './far-guard';

/**
 * The lock calls of a locked load on the shared tier behind `far`: each degraded on a fault
 * (no lock taken, nothing released, a read that says the tier is failing). Taking the lock and reading share `budget`;
 * the release has a timeout of its own, so a load whose budget is spent still frees the lock
 * for the other instances waiting on it.
 */
export function guardedLock(
  far: FarGuard,
  key: string,
  ttl: number,
  budget?: FarBudget,
): LockOperations {
  return {
    acquire: () =>
      far.call(
        'lock',
        key,
        (tier) => tier.acquireLock?.(key, ttl),
        () => null,
        budget,
      ),
    release: (token) =>
      far.call(
        'unlock',
        key,
        (tier) => tier.releaseLock?.(key, token),
        () => undefined,
      ),
    // A stale entry (within grace) is no answer: the loader runs, and grace serves it on failure.
    read: async () => {
      const entry = await far.call<CacheEntry | undefined | null>(
        'get',
        key,
        (tier) => tier.get(key),
        () => null,
        budget,
      );
      return entry === null ? null : freshEntry(entry, Date.now());
    },
  };
}
