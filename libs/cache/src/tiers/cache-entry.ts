import type { PersistenceLevel } from '../options/persistence-level';

/** What every tier stores under a key: the value and the metadata that travels with it. */
export interface CacheEntry {
  /** A deeply frozen snapshot (see `snapshotValue`). */
  readonly value: unknown;
  /** Approximate size of the value's JSON encoding, in bytes. */
  readonly size: number;
  /** Epoch milliseconds after which the entry is no longer fresh; `Infinity` = never. */
  readonly expiresAt: number;
  /**
   * With a grace period: when the entry is really gone. Between `expiresAt` and this, reads miss
   * but `getOrSet` may still serve it when its loader fails or is slow.
   */
  readonly graceUntil?: number;
  readonly persistence: PersistenceLevel;
  readonly tags?: readonly string[];
  readonly indexes?: Readonly<Record<string, string>>;
}

/** Metadata of an entry a tier creates itself (a counter that did not exist yet). */
export type EntryTemplate = Omit<CacheEntry, 'value' | 'size'>;

/** When the entry is gone from its tier: the end of its grace period, or of its TTL. */
export function endOf(entry: EntryTemplate): number {
  return entry.graceUntil ?? entry.expiresAt;
}

/** True when `entry` is gone at `now` (grace period included). */
export function isExpired(entry: EntryTemplate, now: number): boolean {
  const end = endOf(entry);
  return end !== Infinity && end <= now;
}

/** True when `entry` is past its TTL at `now` (it may still be within its grace period). */
export function isStale(entry: EntryTemplate, now: number): boolean {
  return entry.expiresAt !== Infinity && entry.expiresAt <= now;
}

/** Remaining time to live in ms at `now`: `Infinity` when the entry never expires. */
export function remainingTtl(entry: CacheEntry, now: number): number {
  return entry.expiresAt === Infinity ? Infinity : Math.max(0, entry.expiresAt - now);
}
