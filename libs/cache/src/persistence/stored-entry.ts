import { InvalidValueError } from '../errors/cache.error';
import { PERSISTENCE_LEVELS, type PersistenceLevel } from '../options/persistence-level';
import { endOf, type CacheEntry } from '../tiers/cache-entry';
import { entryOf } from '../tiers/plain-entry';
import { isPlainRecord } from '../values/plain-record';
import { freezeDecoded } from '../values/freeze-decoded';
import { decodeValue, encodeValue } from '../values/value-codec';
import type { CacheStorageMetadata } from './cache-storage.entity';
import type { StoredRow } from './storage-sql';

interface Metadata extends CacheStorageMetadata {
  /** The entry's TTL end when it has a grace period (`expires_at` then holds the grace end). */
  readonly expiresAt?: number;
}

/** An entry as a `cache_storage` row. `expires_at` is when the row may go (grace included). */
export function toRow(namespace: string, key: string, entry: CacheEntry): StoredRow {
  const end = endOf(entry);
  const metadata: Metadata = {
    persistence: entry.persistence,
    ...(entry.tags && { tags: entry.tags }),
    ...(entry.indexes && { indexes: entry.indexes }),
    ...(entry.graceUntil !== undefined && {
      graceUntil: entry.graceUntil,
      expiresAt: entry.expiresAt,
    }),
  };
  return {
    namespace,
    key,
    value: encodeValue(entry.value),
    expiresAt: end === Infinity ? null : end,
    metadata: JSON.stringify(metadata),
  };
}

/**
 * True when a row's metadata (JSON text) puts its entry past its TTL at `now`. Such a row is live
 * until its grace period ends, but absent to everything but `getOrSet`'s fallback.
 */
export function isStaleRow(metadata: unknown, now: number): boolean {
  // Only a row with a grace period keeps its TTL end in its metadata: most need no parse.
  if (typeof metadata !== 'string' || !metadata.includes('"expiresAt"')) return false;
  try {
    const { expiresAt } = JSON.parse(metadata) as Metadata;
    return typeof expiresAt === 'number' && expiresAt <= now;
  } catch {
    // Not JSON: a corrupt row, which reads as a miss anyway.
    return false;
  }
}

/**
 * A row back as an entry. Every field is checked, since anyone with access to the table can
 * write one: a row that does not fit what `toRow` writes (metadata of the wrong shape or types,
 * times that are not finite epoch ms, tags or indexes that are not strings, a value the codec
 * cannot decode) throws `InvalidValueError`, so it is skipped rather than served.
 */
export function fromRow(row: {
  value: unknown;
  metadata: unknown;
  expiresAt: number | null;
}): CacheEntry {
  if (typeof row.value !== 'string') throw corrupt('value is not JSON text');
  if (row.expiresAt !== null && !Number.isFinite(row.expiresAt)) {
    throw corrupt('expires_at is not a time');
  }
  const metadata = parseMetadata(row.metadata);
  const end = row.expiresAt ?? Infinity;
  const { graceUntil, expiresAt } = metadata;
  if (graceUntil !== undefined && (end === Infinity || expiresAt === undefined)) {
    throw corrupt('metadata has a grace period without an expiry');
  }
  if (expiresAt !== undefined && (graceUntil === undefined || expiresAt > graceUntil)) {
    throw corrupt('metadata has an expiry outside its grace period');
  }
  return entryOf({
    value: freezeDecoded(decodeValue(row.value)),
    size: row.value.length,
    expiresAt: expiresAt ?? end,
    graceUntil,
    persistence: metadata.persistence as PersistenceLevel,
    tags: metadata.tags,
    indexes: metadata.indexes,
  });
}

/**
 * Metadata without tags, indexes or grace is one of a handful of texts (one per persistence
 * level), met on nearly every row of a warm start: checked once, then shared (never mutated).
 */
const PLAIN_METADATA = new Map<string, Metadata>();

/** The metadata of a row, each field of the type `toRow` writes. */
function parseMetadata(text: unknown): Metadata {
  if (typeof text !== 'string') throw corrupt('metadata is not JSON text');
  const meaning = unmarked(text);
  const known = PLAIN_METADATA.get(meaning);
  if (known) return known;
  const metadata = checkMetadata(text);
  const { tags, indexes, graceUntil, expiresAt } = metadata;
  if (tags === undefined && indexes === undefined && graceUntil === undefined) {
    if (expiresAt === undefined && PLAIN_METADATA.size < 16) {
      PLAIN_METADATA.set(meaning, Object.freeze(metadata));
    }
  }
  return metadata;
}

/**
 * Metadata text without the mark of the write that stored it (`w`, last, as `SharedFollow`
 * writes it): the marks of rows differ, what they mean does not.
 */
function unmarked(text: string): string {
  const at = text.lastIndexOf(',"w":"');
  // The mark holds no quote: anything else after it is not a mark this module wrote.
  if (at < 0 || text.indexOf('"', at + 6) !== text.length - 2) return text;
  return `${text.slice(0, at)}}`;
}

function checkMetadata(text: string): Metadata {
  let metadata: unknown;
  try {
    metadata = JSON.parse(text);
  } catch {
    throw corrupt('metadata is not JSON');
  }
  if (!isPlainRecord(metadata)) throw corrupt('metadata is not an object');
  const { persistence, tags, indexes, graceUntil, expiresAt, writes, w } = metadata;
  if (!PERSISTENCE_LEVELS.includes(persistence as PersistenceLevel)) {
    throw corrupt('metadata has no persistence level');
  }
  if (tags !== undefined && !(Array.isArray(tags) && tags.every(isString))) {
    throw corrupt('metadata tags are not a list of strings');
  }
  if (
    indexes !== undefined &&
    !(isPlainRecord(indexes) && Object.values(indexes).every(isString))
  ) {
    throw corrupt('metadata indexes are not strings');
  }
  for (const [name, time] of [
    ['graceUntil', graceUntil],
    ['expiresAt', expiresAt],
  ] as const) {
    if (time !== undefined && !Number.isFinite(time))
      throw corrupt(`metadata ${name} is not a time`);
  }
  if (w !== undefined && typeof w !== 'string') throw corrupt('metadata w is not a mark');
  if (writes !== undefined && !Number.isSafeInteger(writes)) {
    throw corrupt('metadata writes is not a count');
  }
  return metadata as unknown as Metadata;
}

function corrupt(what: string): InvalidValueError {
  return new InvalidValueError(`stored row is corrupt: ${what}`);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
