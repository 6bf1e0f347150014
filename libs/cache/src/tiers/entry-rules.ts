import { WrongTypeError } from '../errors/cache.error';
import { mergePatch } from '../values/check-patch';
import { snapshotValue } from '../values/snapshot-value';
import { isStale, type CacheEntry, type EntryTemplate } from './cache-entry';
import { entryOf, metadataOf, withFields } from './plain-entry';
import { quoted } from '../logging/log-text';

/**
 * The rules of the read-modify-write operations, written once for every tier: memory applies
 * them in place, PostgreSQL under a row lock, Redis in an optimistic compare-and-set (`update`)
 * or in Lua (`increment`, whose script keeps these rules and reasons, see `redis-write-scripts.ts`).
 */

/** Why `increment` refuses an entry: its value is not a number. */
export const NOT_A_NUMBER = 'its value is not a number';
/** Why `increment` refuses a sum: it overflowed to a non-finite number. */
export const NOT_FINITE = 'the result is not a finite number';

/** The stored size of a counter a tier creates. */
const COUNTER_SIZE = snapshotValue(0).size;

/**
 * `entry` while it is fresh; undefined when there is none or it is past its TTL. An entry within
 * its grace period is kept by its tier for `getOrSet`'s fallback alone: every operation that asks
 * whether a key holds a value (`setIfAbsent`, `increment`, `update`, `expire`) finds it absent.
 */
export function freshEntry(entry: CacheEntry | undefined, now: number): CacheEntry | undefined {
  return entry === undefined || isStale(entry, now) ? undefined : entry;
}

/**
 * The entry `update(key, patch)` leaves: `patch` shallow-merged into the object under `key`,
 * expiry and metadata kept, the merged value held to `maxBytes` like any value `set` stores.
 * Undefined when there is no fresh entry (see `freshEntry`). Throws `WrongTypeError` when the
 * value is not an object.
 */
export function mergeEntry(
  key: string,
  entry: CacheEntry | undefined,
  patch: Readonly<Record<string, unknown>>,
  maxBytes?: number,
): CacheEntry | undefined {
  const current = freshEntry(entry, Date.now());
  if (current === undefined) return undefined;
  const merged = mergePatch(key, current.value, patch, maxBytes);
  return withFields(current, { value: merged.value, size: merged.size });
}

/**
 * The entry `increment(key, by)` leaves: a new counter of `by` made from `template` when there
 * is no fresh entry (a stale one counts from 0 again), else the number under `key` plus `by`,
 * expiry and metadata kept. Throws `WrongTypeError` when the value is not a number or the sum is
 * not finite.
 */
export function addToCounter(
  key: string,
  entry: CacheEntry | undefined,
  by: number,
  template: EntryTemplate,
): CacheEntry & { readonly value: number } {
  const current = freshEntry(entry, Date.now());
  if (current === undefined) {
    return entryOf({ ...metadataOf(template), value: by, size: COUNTER_SIZE });
  }
  if (typeof current.value !== 'number') throw counterError(key, NOT_A_NUMBER);
  const value = current.value + by;
  if (!Number.isFinite(value)) throw counterError(key, NOT_FINITE);
  return withFields(current, { value });
}

/** The error of an `increment` the rules refuse, `reason` being one of the reasons above. */
export function counterError(key: string, reason: string): WrongTypeError {
  return new WrongTypeError(`cannot increment ${quoted(key)}: ${reason}`);
}

/**
 * `current` with a new expiry; its grace period, if any, keeps its length after the new expiry
 * (none when the entry no longer expires).
 */
export function withExpiry(current: CacheEntry, expiresAt: number): CacheEntry {
  const grace =
    current.graceUntil === undefined || expiresAt === Infinity
      ? undefined
      : expiresAt + (current.graceUntil - current.expiresAt);
  return withFields(current, { expiresAt, graceUntil: grace });
}
