import { PERSISTENCE_LEVELS, type PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry, EntryTemplate } from './cache-entry';

/** Expiries are kept relative to this instant, so most fit a small integer (see `PlainEntry`). */
const EPOCH = Date.now();
/**
 * The largest small integer (Smi) of 64-bit Node's default build: about 24.8 days of
 * milliseconds. Builds with pointer compression have 31-bit small integers: there, expiries past
 * about 12.4 days are boxed (correct either way, only larger).
 */
const SMALL_INTEGER = 0x7fffffff;
const LEVELS = PERSISTENCE_LEVELS.length;

/**
 * An entry with no grace period, tags or indexes (most entries), in 48 bytes of heap where the
 * object literal of `CacheEntry` takes 72: with four fields, an absolute expiry is a double,
 * boxed in a heap number of its own. Here the size and the persistence level share one small
 * integer, and the expiry, kept relative to `EPOCH`, is a small integer stored in place for an
 * entry that expires within about 24 days of the process start (a later one is boxed, as before:
 * after about 24 days of uptime, every new entry's expiry is). `size`, `persistence` and
 * `expiresAt` are getters on the prototype; `graceUntil`, `tags` and `indexes` are absent. A
 * spread of one therefore copies `value` alone: copy an entry with `fieldsOf` or `withFields`.
 */
class PlainEntry implements CacheEntry {
  readonly value: unknown;
  /** `size * LEVELS + ` the index of the persistence level. */
  private readonly packed: number;
  /** `expiresAt - EPOCH`; undefined when the entry never expires. */
  private readonly until: number | undefined;

  constructor(value: unknown, packed: number, until: number | undefined) {
    this.value = value;
    this.packed = packed;
    this.until = until;
  }

  get size(): number {
    return Math.floor(this.packed / LEVELS);
  }

  get persistence(): PersistenceLevel {
    return PERSISTENCE_LEVELS[this.packed % LEVELS];
  }

  get expiresAt(): number {
    return this.until === undefined ? Infinity : this.until + EPOCH;
  }

  // Absent by definition: held by no instance, so they read as undefined.
  declare readonly graceUntil: undefined;
  declare readonly tags: undefined;
  declare readonly indexes: undefined;
}

// `until` holds small integers and `undefined`: made so from the first instance, V8 keeps the
// field tagged, where a small integer lives in place (first given a double, every value of the
// field would be boxed, whatever it is).
new PlainEntry(null, 0, undefined);

/** The entry of a value with no grace period, tags or indexes, compactly held. */
export function plainEntry(
  value: unknown,
  size: number,
  expiresAt: number,
  persistence: PersistenceLevel,
): CacheEntry {
  const level = PERSISTENCE_LEVELS.indexOf(persistence);
  if (level < 0 || !Number.isInteger(size) || size < 0) {
    // Nothing this module builds; kept whole rather than packed wrong.
    return { value, size, expiresAt, persistence };
  }
  const until = expiresAt - EPOCH;
  return new PlainEntry(
    value,
    size * LEVELS + level,
    expiresAt === Infinity
      ? undefined
      : Number.isInteger(until) && Math.abs(until) <= SMALL_INTEGER
        ? until | 0
        : until,
  );
}

/** An entry of the given fields: a `plainEntry` when it has no grace period, tags or indexes. */
export function entryOf<E extends CacheEntry>(fields: E): E {
  const { value, size, expiresAt, persistence, graceUntil, tags, indexes } = fields;
  if (graceUntil === undefined && tags === undefined && indexes === undefined) {
    return plainEntry(value, size, expiresAt, persistence) as E;
  }
  return { value, size, expiresAt, persistence, graceUntil, tags, indexes } as E;
}

/**
 * The metadata of `entry` (every field but `value` and `size`) as an object of its own: an entry
 * may keep its fields on its prototype (see `plainEntry`), where a spread would not find them.
 */
export function metadataOf(entry: EntryTemplate): EntryTemplate {
  const { expiresAt, graceUntil, persistence, tags, indexes } = entry;
  return { expiresAt, graceUntil, persistence, tags, indexes };
}

/** Every field of `entry` as an object of its own: what a spread would copy, were none inherited. */
export function fieldsOf(entry: CacheEntry): CacheEntry {
  const { value, size, expiresAt, graceUntil, persistence, tags, indexes } = entry;
  return { value, size, expiresAt, graceUntil, persistence, tags, indexes };
}

/**
 * A new entry of `entry`'s fields with `changes` over them (a field given as undefined is
 * removed), held as `entryOf` holds it.
 */
export function withFields<C extends Partial<CacheEntry>>(
  entry: CacheEntry,
  changes: C,
): CacheEntry & C {
  return entryOf({ ...fieldsOf(entry), ...changes });
}
