import type { EntitySchema } from 'typeorm';
import { loadPeer } from '../optional-peer';

/** The table persisted entries live in. */
export const CACHE_STORAGE_TABLE = 'cache_storage';

/** Metadata kept with a persisted entry. */
export interface CacheStorageMetadata {
  /** Persistence level the entry was written with. */
  readonly persistence: string;
  readonly tags?: readonly string[];
  readonly indexes?: Readonly<Record<string, string>>;
  /** When its grace period ends, epoch ms (see `getOrSet`'s `grace`). */
  readonly graceUntil?: number;
  /** How many times the entry was written. */
  readonly writes?: number;
  /**
   * The mark of the statement that wrote the row, in a namespace kept in Redis: the instance
   * that wrote it changes it again only while it still carries this mark (see `SharedFollow`).
   */
  readonly w?: string;
}

/** One row of `cache_storage`. */
export interface CacheStorageRow {
  /** The `prefix` of the application that wrote the row: every query is scoped by it. */
  prefix: string;
  namespace: string;
  key: string;
  /** The value as the cache's codec encodes it (JSON; Dates tagged). */
  value: unknown;
  expiresAt: Date | null;
  metadata: CacheStorageMetadata;
  createdAt: Date;
  updatedAt: Date;
}

/** The SQL dialects the store speaks. */
export type StorageDialect = 'postgres' | 'sqlite';

/**
 * The TypeORM entity of `cache_storage`, for a dialect: `jsonb` and `timestamptz` on
 * PostgreSQL, their closest equivalents on the embedded SQLite store. Register it in a
 * DataSource to read the table with a repository. The primary key is (prefix, namespace, key):
 * applications with different prefixes share the table without seeing each other's rows.
 */
export function cacheStorageEntity(
  dialect: StorageDialect = 'postgres',
): EntitySchema<CacheStorageRow> {
  const { EntitySchema } = loadPeer<typeof import('typeorm')>('typeorm', 'cacheStorageEntity');
  const json = dialect === 'postgres' ? 'jsonb' : 'simple-json';
  const time = dialect === 'postgres' ? 'timestamptz' : 'datetime';
  return new EntitySchema<CacheStorageRow>({
    name: 'CacheStorage',
    tableName: CACHE_STORAGE_TABLE,
    columns: {
      prefix: { type: 'text', primary: true },
      namespace: { type: 'text', primary: true },
      key: { type: 'text', primary: true },
      value: { type: json },
      expiresAt: { name: 'expires_at', type: time, nullable: true },
      metadata: { type: json },
      createdAt: { name: 'created_at', type: time, createDate: true },
      updatedAt: { name: 'updated_at', type: time, updateDate: true },
    },
    indices: [{ name: 'IDX_cache_storage_expires_at', columns: ['expiresAt'] }],
  });
}
