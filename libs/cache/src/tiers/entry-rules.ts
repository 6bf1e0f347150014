import { WrongTypeError } from '../errors';
import { mergePatch } from '../values/check-patch';
import { snapshotValue } from '../values/snapshot-value';
import type { CacheEntry, EntryTemplate } from './cache-entry';

/**
 * The rules of the read-modify-write operations, written once for every tier: memory applies
 * them in place, PostgreSQL under a row lock, Redis in an optimistic compare-and-set (`update`)
 * or in Lua (`increment`, whose script keeps these rules and reasons, see `redis-scripts.ts`).
 */

/** Why `increment` refuses an entry: its value is not a number. */
export const NOT_A_NUMBER = 'its value is not a number';
/** Why `increment` refuses a sum: it overflowed to a non-finite number. */
export const NOT_FINITE = 'the result is not a finite number';

/** The stored size of a counter a tier creates. */
const COUNTER_SIZE = snapshotValue(0).size;

/**
 * The entry `update(key, patch)` leaves: `patch` shallow-merged into the object under `key`,
 * expiry and metadata kept, the merged value held to `maxBytes` like any value `set` stores.
 * Throws `WrongTypeError` when the value is not an object.
 */
export function mergeEntry(
  key: string,
  current: CacheEntry,
  patch: Readonly<Record<string, unknown>>,
  maxBytes?: number,
): CacheEntry {
  const merged = mergePatch(key, current.value, patch, maxBytes);
  return { ...current, value: merged.value, size: merged.size };
}

/**
 * The entry `increment(key, by)` leaves: a new counter of `by` made from `template` when there
 * is none, else the number under `key` plus `by`, expiry and metadata kept. Throws
 * `WrongTypeError` when the value is not a number or the sum is not finite.
 */
export function addToCounter(
  key: string,
  current: CacheEntry | undefined,
  by: number,
  template: EntryTemplate,
): CacheEntry & { readonly value: number } {
  if (current === undefined) return { ...template, value: by, size: COUNTER_SIZE };
  if (typeof current.value !== 'number') throw counterError(key, NOT_A_NUMBER);
  const value = current.value + by;
  if (!Number.isFinite(value)) throw counterError(key, NOT_FINITE);
  return { ...current, value };
}

/** The error of an `increment` the rules refuse, `reason` being one of the reasons above. */
export function counterError(key: string, reason: string): WrongTypeError {
  return new WrongTypeError(`cannot increment "${key}": ${reason}`);
}
