import { PersistenceLevel } from 'nest-tiered-cache';
import { decodeEntry, encodeEntry } from '../libs/cache/src/redis/redis-entry';
import { plainEntry } from '../libs/cache/src/tiers/plain-entry';
import { snapshotValue } from '../libs/cache/src/values/snapshot-value';

/**
 * Floors: a raw peer that also does what this module's guarantees ask of every value, with the
 * module's own code. A value is copied and deeply frozen when stored (`snapshotValue`), a value
 * read from Redis is decoded from the stored entry (its expiry and metadata before the value)
 * and deeply frozen (`decodeEntry`), and a Redis key is named under the namespace's base on
 * each call, as isolation asks. No namespace, tier stack, breaker or event runs, and no timeout
 * except in a timed floor (`timedFloor`).
 *
 * A case measured against its floor shows what the module adds beyond those guarantees; the
 * floor against the raw peer shows what the guarantees themselves cost, in the same run.
 */

/** The name a floor peer goes by: what it does on top of the raw peer. */
export const floorPeer = (work: string): string => `floor: ${work}`;

/**
 * The name of a Redis floor that also bounds each command in time, as the namespace's
 * `commandTimeout` does: the raw client's own per-command timeout (ioredis `commandTimeout`).
 * Without it a floor skips a guarantee every call of the namespace keeps.
 */
export const timedFloor = (work: string): string =>
  floorPeer(`${work}, each command timed out by ioredis commandTimeout`);

/** The copy a store keeps of `value`: deeply frozen, checked (see `snapshotValue`). */
export function frozenCopy<T>(value: T): T {
  return snapshotValue(value).value as T;
}

/** The text a Redis namespace stores for `value` with a `ttl` in ms, from its frozen copy. */
export function storedText(value: unknown, ttl: number): string {
  const { value: copy, size } = snapshotValue(value);
  const now = Date.now();
  return encodeEntry(plainEntry(copy, size, now + ttl, PersistenceLevel.MEMORY_ONLY), now).text;
}

/** The value of a stored entry's text, decoded and deeply frozen. */
export function storedValue(text: string): unknown {
  return decodeEntry(text).value;
}

/** Where a Redis namespace keeps the value of `key` (`RedisTier`'s layout). */
export function valueKeyOf(prefix: string, namespace: string, key: string): string {
  return `{${prefix}:${namespace}}:v:${key}`;
}
