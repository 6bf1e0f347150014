import { PersistenceLevel } from '../options/persistence-level';
import type { NamespacePersistence, PersistenceTurn } from '../persistence/persistence-manager';
import type { SharedEntries } from '../persistence/persistence-types';
import type { CacheEntry } from '../tiers/cache-entry';
import type { FarGuard } from './far-guard';

/**
 * Reserves persistence's place for a change applied to memory, or sent to the shared tier, in
 * this same tick (none for an entry kept in memory only): persistence then hears of changes in
 * the order the deciding tier applied them, however long each took.
 */
export function turnFor(
  persistence: NamespacePersistence | undefined,
  entry: CacheEntry,
): PersistenceTurn | undefined {
  return takesTurn(persistence, entry) ? persistence?.turn() : undefined;
}

/** True when a write of `entry` reaches persistence (and so takes a turn there). */
export function takesTurn(
  persistence: NamespacePersistence | undefined,
  entry: CacheEntry,
): boolean {
  return persistence !== undefined && entry.persistence !== PersistenceLevel.MEMORY_ONLY;
}

/** Runs a change with `turn` reserved for it; a change that throws frees its place. */
export async function inTurn<T>(
  turn: PersistenceTurn | undefined,
  change: () => Promise<T>,
): Promise<T> {
  try {
    return await change();
  } catch (error) {
    turn?.skip();
    throw error;
  }
}

/**
 * Of `keys`, those the shared tier does not hold (none when it cannot answer): what a removal in
 * several steps deleted after a write raced it.
 */
export async function missingFrom(
  far: FarGuard | undefined,
  keys: readonly string[],
): Promise<string[]> {
  if (keys.length === 0 || !far) return [];
  const entries = await sharedEntries(far)(keys);
  if (entries === undefined) return [];
  return keys.filter((_, i) => entries[i] === undefined);
}

/**
 * What the shared tier holds under some keys, read behind its guard (undefined when it cannot
 * answer): how persistence checks the rows it wrote against it (`NamespacePersistence.follow`).
 */
export function sharedEntries(far: FarGuard): SharedEntries {
  return (keys) =>
    far.call<ReadonlyArray<CacheEntry | undefined> | undefined>(
      'getMany',
      undefined,
      (tier) => tier.getMany(keys),
      () => undefined,
    );
}
