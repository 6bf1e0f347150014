import { InvalidValueError } from '../errors';
import { PERSISTENCE_LEVELS, type PersistenceLevel } from '../options/persistence-level';
import { endOf, type CacheEntry } from '../tiers/cache-entry';
import { freezeDecoded } from '../values/snapshot-value';
import { decodeValue, encodeValue } from '../values/value-codec';
import type { CacheStorageMetadata } from './cache-storage.entity';
import type { StoredRow } from './storage-store';

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

/** A row back as an entry; throws `InvalidValueError` on a row that cannot be decoded. */
export function fromRow(row: {
  value: string;
  metadata: string;
  expiresAt: number | null;
}): CacheEntry {
  let metadata: Metadata;
  try {
    metadata = JSON.parse(row.metadata) as Metadata;
  } catch {
    throw new InvalidValueError('stored metadata is not JSON');
  }
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    !PERSISTENCE_LEVELS.includes(metadata.persistence as PersistenceLevel)
  ) {
    throw new InvalidValueError('stored metadata has no persistence level');
  }
  const end = row.expiresAt ?? Infinity;
  return {
    value: freezeDecoded(decodeValue(row.value)),
    size: row.value.length,
    expiresAt: metadata.expiresAt ?? end,
    ...(metadata.graceUntil !== undefined && { graceUntil: metadata.graceUntil }),
    persistence: metadata.persistence as PersistenceLevel,
    ...(Array.isArray(metadata.tags) && { tags: metadata.tags }),
    ...(metadata.indexes && typeof metadata.indexes === 'object' && { indexes: metadata.indexes }),
  };
}
