import { PersistenceLevel } from '../options/persistence-level';
import { snapshotValue } from '../values/snapshot-value';
import type { CacheEntry } from './cache-entry';
import type { CacheTier } from './cache-tier.interface';
import type { RemovedKeys } from './removed-keys';

/** Builds an entry the way NamespaceCache does. */
export function entryOf(
  value: unknown,
  extra: Partial<Omit<CacheEntry, 'value' | 'size'>> = {},
): CacheEntry {
  const snapshot = snapshotValue(value);
  return {
    value: snapshot.value,
    size: snapshot.size,
    expiresAt: Infinity,
    persistence: PersistenceLevel.MEMORY_ONLY,
    ...extra,
  };
}

/** The keys a removal counts as held, in order. */
export const held = (removed: RemovedKeys): string[] => [...removed.held].sort();

/** What a removal that found nothing returns. */
export const NONE: RemovedKeys = { held: [], stale: [] };

/** What each group of the tier contract is given by `describeTierContract`. */
export interface TierContract {
  /** The fresh, empty tier of the running case (namespace `ns`). */
  readonly tier: CacheTier;
  /** Opens another tier on `namespace`, cleared and closed after the case. */
  open(namespace: string): Promise<CacheTier>;
  /** Makes `ms` milliseconds pass for the tier. */
  advance(ms: number): Promise<void> | void;
}
