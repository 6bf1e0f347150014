import type { CacheEntry } from '../tiers/cache-entry';
import type { MemoryTier } from '../tiers/memory.tier';
import type { FarGuard } from './far-guard';

/** A page of persisted entries, keyed, as warm start hands them to a stack. */
export type RestoredEntries = ReadonlyArray<readonly [key: string, entry: CacheEntry]>;

/** An entry warm start could not put back, and why. */
export interface RestoreFailure {
  readonly key: string;
  readonly error: Error;
}

/**
 * Puts a page of persisted entries back, never over a value the tiers already hold (that one is
 * newer: another instance may have written it since the row was) and without telling anyone.
 * With a shared tier, one bulk NX write for the whole page (`setManyIfAbsent`, or `setIfAbsent`
 * side by side) under one deadline; memory alone is written at once. Answers what failed.
 */
export async function restoreEntries(
  entries: RestoredEntries,
  far: FarGuard | undefined,
  near: MemoryTier | undefined,
  storeNear: (key: string, entry: CacheEntry) => void,
): Promise<RestoreFailure[]> {
  const failures: RestoreFailure[] = [];
  if (far) {
    if (entries.length === 0) return failures;
    try {
      await far.call(
        'restore',
        undefined,
        (tier) =>
          tier.setManyIfAbsent
            ? tier.setManyIfAbsent(entries)
            : Promise.all(entries.map(async ([key, entry]) => tier.setIfAbsent(key, entry))),
        () => [],
      );
    } catch (error) {
      // Strict: the page is not restored; every entry of it is reported.
      for (const [key] of entries) failures.push({ key, error: error as Error });
    }
    return failures;
  }
  for (const [key, entry] of entries) {
    try {
      if (!near?.holds(key)) storeNear(key, entry);
    } catch (error) {
      failures.push({ key, error: error as Error });
    }
  }
  return failures;
}
