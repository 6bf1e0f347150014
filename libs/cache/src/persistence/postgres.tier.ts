import { randomUUID } from 'node:crypto';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import type { CacheTier, TierUsage } from '../tiers/cache-tier.interface';
import { addToCounter, mergeEntry } from '../tiers/entry-rules';
import { compileGlob } from '../values/glob';
import { CACHE_STORAGE_TABLE as TABLE } from './cache-storage.entity';
import type { StorageStore } from './storage-store';
import { globToLike } from './like-pattern';
import { fromRow, toRow } from './stored-entry';

const LIVE = '(expires_at IS NULL OR expires_at > $LIVE)';
/** The rows of this application's namespace (`$1` and `$PREFIX` are filled in by `select`). */
const OWN = 'prefix = $PREFIX AND namespace = $1';

/** Told about a row that could not be decoded (it reads as a miss). */
export type CorruptRowListener = (key: string, error: Error) => void;

interface EntryRow {
  key: string;
  value: string;
  metadata: string;
  expires_at: Date | null;
}

/**
 * One namespace as a cache tier on PostgreSQL, in the `cache_storage` table itself: for apps that
 * have a database but no Redis. Every statement is scoped by the store's prefix and the
 * namespace. Expiry is checked on every read (rows past `expires_at` are misses, and go with the
 * cleanup job); read-modify-writes take a per-key advisory lock. A row that does not decode
 * (crafted or damaged) reads as a miss and is reported to `onCorrupt`.
 */
export class PostgresTier implements CacheTier {
  readonly kind = 'postgres' as const;

  private readonly lockNamespace: string;

  constructor(
    private readonly store: () => Promise<StorageStore>,
    private readonly namespace: string,
    private readonly onCorrupt?: CorruptRowListener,
  ) {
    this.lockNamespace = `${namespace}:locks`;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return (await this.getMany([key]))[0];
  }

  async getMany(keys: readonly string[]): Promise<Array<CacheEntry | undefined>> {
    if (keys.length === 0) return [];
    const rows = await this.select<EntryRow>(
      `SELECT key, value::text AS value, metadata::text AS metadata, expires_at FROM ${TABLE}
       WHERE ${OWN} AND key = ANY($2::text[]) AND ${LIVE}`,
      [keys],
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return keys.map((key) => {
      const row = byKey.get(key);
      return row === undefined ? undefined : this.decode(row);
    });
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    await (await this.store()).upsert([toRow(this.namespace, key, entry)], 1);
  }

  async setIfAbsent(key: string, entry: CacheEntry): Promise<boolean> {
    const row = toRow(this.namespace, key, entry);
    // Inserts, or replaces a row that has expired; a live row stays and nothing is returned.
    const stored = await this.select<{ key: string }>(
      `INSERT INTO ${TABLE} (prefix, namespace, key, value, expires_at, metadata, created_at, updated_at)
       VALUES ($PREFIX, $1, $2, $3::jsonb, $4, $5::jsonb, now(), now())
       ON CONFLICT (prefix, namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
         metadata = excluded.metadata, created_at = now(), updated_at = now()
       WHERE ${TABLE}.expires_at IS NOT NULL AND ${TABLE}.expires_at <= $LIVE
       RETURNING key`,
      [key, row.value, time(row.expiresAt), row.metadata],
    );
    return stored.length > 0;
  }

  update(
    key: string,
    patch: Readonly<Record<string, unknown>>,
    maxBytes?: number,
  ): Promise<CacheEntry | undefined> {
    return this.locked(key, (current) => {
      if (current === undefined) return { result: undefined };
      const entry = mergeEntry(key, current, patch, maxBytes);
      return { result: entry, write: entry };
    });
  }

  increment(key: string, by: number, template: EntryTemplate): Promise<number> {
    return this.locked(key, (current) => {
      const entry = addToCounter(key, current, by, template);
      return { result: entry.value, write: entry };
    });
  }

  async expire(key: string, expiresAt: number): Promise<boolean> {
    const rows = await this.select<{ key: string }>(
      `UPDATE ${TABLE} SET expires_at = $3, metadata = metadata - 'graceUntil' - 'expiresAt', updated_at = now()
       WHERE ${OWN} AND key = $2 AND ${LIVE} RETURNING key`,
      [key, time(expiresAt === Infinity ? null : expiresAt)],
    );
    return rows.length > 0;
  }

  delete(keys: readonly string[]): Promise<string[]> {
    return this.remove(`key = ANY($2::text[])`, [keys]);
  }

  deleteByTags(tags: readonly string[]): Promise<string[]> {
    return this.remove(`metadata -> 'tags' ?| $2::text[]`, [tags]);
  }

  async deleteMatching(glob: string): Promise<string[]> {
    const pattern = compileGlob(glob);
    const candidates = await this.select<{ key: string }>(
      `SELECT key FROM ${TABLE} WHERE ${OWN} AND key LIKE $2 ESCAPE '\\' AND ${LIVE}`,
      [globToLike(glob)],
    );
    // LIKE narrows it down; the glob itself decides.
    return this.delete(candidates.map((row) => row.key).filter((key) => pattern.test(key)));
  }

  async keysByIndex(name: string, value: string): Promise<string[]> {
    const rows = await this.select<{ key: string }>(
      `SELECT key FROM ${TABLE} WHERE ${OWN} AND metadata -> 'indexes' ->> $2 = $3 AND ${LIVE}`,
      [name, value],
    );
    return rows.map((row) => row.key);
  }

  async clear(): Promise<number> {
    return (await this.remove('TRUE', [])).length;
  }

  async usage(): Promise<TierUsage> {
    const [row] = await this.select<{ n: string }>(
      `SELECT count(*) AS n FROM ${TABLE} WHERE ${OWN} AND ${LIVE}`,
      [],
    );
    return { entries: Number(row?.n ?? 0), bytes: 0, persistent: 0 };
  }

  async acquireLock(key: string, ttl: number): Promise<string | undefined> {
    const token = randomUUID();
    // Locks live in a namespace of their own: `:` never appears in a namespace name.
    const store = await this.store();
    const result = await store.query<unknown>(
      `INSERT INTO ${TABLE} (prefix, namespace, key, value, expires_at, metadata, created_at, updated_at)
       VALUES ($1, $2, $3, to_jsonb($4::text), $5, '{"persistence":"memory"}'::jsonb, now(), now())
       ON CONFLICT (prefix, namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE ${TABLE}.expires_at <= $6
       RETURNING key`,
      [store.prefix, this.lockNamespace, key, token, new Date(Date.now() + ttl), new Date()],
    );
    return rowsOf(result).length > 0 ? token : undefined;
  }

  async releaseLock(key: string, token: string): Promise<void> {
    const store = await this.store();
    await store.query(
      `DELETE FROM ${TABLE} WHERE prefix = $1 AND namespace = $2 AND key = $3 AND value = to_jsonb($4::text)`,
      [store.prefix, this.lockNamespace, key, token],
    );
  }

  close(): void {
    // The store belongs to the module's persistence and is closed with it.
  }

  /** Deletes the rows matching `where` ($2...), returning the keys of those that were live. */
  private async remove(where: string, params: unknown[]): Promise<string[]> {
    const rows = await this.select<{ key: string; live: boolean }>(
      `DELETE FROM ${TABLE} WHERE ${OWN} AND ${where} RETURNING key, ${LIVE} AS live`,
      params,
    );
    return rows.filter((row) => row.live).map((row) => row.key);
  }

  /** A read-modify-write under a transaction-scoped advisory lock on the key. */
  private async locked<T>(
    key: string,
    change: (current: CacheEntry | undefined) => { result: T; write?: CacheEntry },
  ): Promise<T> {
    const store = await this.store();
    return store.transaction(async (query) => {
      // Neither a prefix nor a namespace holds a `:`, so the lock name is unambiguous.
      await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `${store.prefix}:${this.namespace}:${key}`,
      ]);
      const rows = (await query(
        `SELECT key, value::text AS value, metadata::text AS metadata, expires_at FROM ${TABLE}
         WHERE prefix = $1 AND namespace = $2 AND key = $3 AND (expires_at IS NULL OR expires_at > $4)`,
        [store.prefix, this.namespace, key, new Date()],
      )) as EntryRow[];
      const { result, write } = change(rows[0] && this.decode(rows[0]));
      if (write) {
        const row = toRow(this.namespace, key, write);
        await query(
          `INSERT INTO ${TABLE} (prefix, namespace, key, value, expires_at, metadata, created_at, updated_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, now(), now())
           ON CONFLICT (prefix, namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
             metadata = excluded.metadata, updated_at = now()`,
          [store.prefix, this.namespace, key, row.value, time(row.expiresAt), row.metadata],
        );
      }
      return result;
    });
  }

  /**
   * Runs a query with `$1` = the namespace, the caller's parameters from `$2`, `$LIVE` = now and
   * `$PREFIX` = the store's prefix.
   */
  private async select<T>(sql: string, params: unknown[]): Promise<T[]> {
    const store = await this.store();
    const text = sql
      .replace(/\$LIVE/g, () => `$${params.length + 2}`)
      .replace(/\$PREFIX/g, () => `$${params.length + 3}`);
    const result = await store.query<unknown>(text, [
      this.namespace,
      ...params,
      new Date(),
      store.prefix,
    ]);
    return rowsOf<T>(result);
  }

  /** The entry of a row; a row that does not decode is reported and read as a miss. */
  private decode(row: EntryRow): CacheEntry | undefined {
    try {
      return fromRow({
        value: row.value,
        metadata: row.metadata,
        expiresAt: row.expires_at === null ? null : new Date(row.expires_at).getTime(),
      });
    } catch (error) {
      this.onCorrupt?.(row.key, error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  }
}

/** TypeORM answers UPDATE and DELETE on PostgreSQL with `[rows, count]`, the rest with rows. */
function rowsOf<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

function time(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
