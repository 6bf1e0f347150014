import { asError } from '../errors/as-error';
import { randomUUID } from 'node:crypto';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import type { CacheTier, LoadTicket, TicketedRead, TierUsage } from '../tiers/cache-tier.interface';
import type { RemovedKeys } from '../tiers/removed-keys';
import { addToCounter, freshEntry, mergeEntry, withExpiry } from '../tiers/entry-rules';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import { PersistenceLevel } from '../options/persistence-level';
import { unreadTableTicket } from './load-ticket-store';
import type { Removal } from './removal';
import type { LoadedRow } from './storage-rows';
import type { StorageStore } from './storage-store';
import { fromRow, toRow } from './stored-entry';

/** Told about a row that could not be decoded (it reads as a miss). */
export type CorruptRowListener = (key: string, error: Error) => void;

/**
 * One namespace as a cache tier on PostgreSQL, in the `cache_storage` table itself: for apps that
 * have a database but no Redis. Every statement is scoped by the store's prefix and the
 * namespace, and written by `StorageStore`, the table's one owner of SQL. Expiry is checked on
 * every read (rows past `expires_at` are misses, and go with the cleanup job); read-modify-writes
 * take a per-key advisory lock. A load's read and store go by ticket (`LoadTicketStore`), so a
 * load never undoes another instance's change. A row that does not decode (crafted or damaged)
 * reads as a miss and is reported to `onCorrupt`.
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
    const rows = await (await this.store()).read(this.namespace, keys);
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return keys.map((key) => {
      const row = byKey.get(key);
      return row === undefined ? undefined : this.decode(row);
    });
  }

  async readForLoad(key: string): Promise<TicketedRead> {
    return (await this.readManyForLoad([key]))[0];
  }

  /**
   * The live rows of `keys` and their tickets, in one statement (see `LoadTicketStore`). The
   * embedded store issues tickets that guard nothing: no other instance writes there.
   */
  async readManyForLoad(keys: readonly string[]): Promise<TicketedRead[]> {
    if (keys.length === 0) return [];
    const { tickets } = await this.store();
    if (tickets === undefined) {
      const ticket = { issuedAt: Date.now() };
      return (await this.getMany(keys)).map((entry) => ({ entry, ticket }));
    }
    const reads = await tickets.read(this.namespace, keys);
    return reads.map(({ row, ticket }) => ({ entry: row && this.decode(row), ticket }));
  }

  /** See `unreadTableTicket`; the embedded store ignores tickets. */
  readonly unreadTicket = unreadTableTicket;

  async setUnlessChanged(key: string, entry: CacheEntry, ticket: LoadTicket): Promise<boolean> {
    const { tickets } = await this.store();
    if (tickets === undefined) return this.set(key, entry).then(() => true);
    return tickets.writeUnlessChanged(toRow(this.namespace, key, entry), ticket);
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    await (await this.store()).upsert([toRow(this.namespace, key, entry)], 1);
  }

  async setIfAbsent(key: string, entry: CacheEntry): Promise<boolean> {
    if (await (await this.store()).insertIfAbsent(toRow(this.namespace, key, entry))) return true;
    // A row past its TTL but within its grace period is absent too (the insert above kept it).
    return this.locked(key, (current) =>
      freshEntry(current, Date.now()) === undefined
        ? { result: true, write: entry }
        : { result: false },
    );
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

  /** A stale row (within grace) is absent; a grace period keeps its length after the new expiry. */
  expire(key: string, expiresAt: number): Promise<boolean> {
    return this.locked(key, (row) => {
      const current = freshEntry(row, Date.now());
      if (current === undefined) return { result: false };
      return { result: true, write: withExpiry(current, expiresAt) };
    });
  }

  delete(keys: readonly string[]): Promise<RemovedKeys> {
    return this.remove({ keys });
  }

  deleteByTags(tags: readonly string[]): Promise<RemovedKeys> {
    return this.remove({ tags });
  }

  deleteMatching(glob: string): Promise<RemovedKeys> {
    return this.remove({ glob });
  }

  async keysByIndex(name: string, value: string): Promise<string[]> {
    return (await this.store()).keysByIndex(this.namespace, name, value);
  }

  async clear(): Promise<number> {
    return (await this.remove({ all: true })).held.length;
  }

  async usage(): Promise<TierUsage> {
    const entries = await (await this.store()).count(this.namespace);
    return { entries, bytes: 0, persistent: 0 };
  }

  async acquireLock(key: string, ttl: number): Promise<string | undefined> {
    const token = randomUUID();
    const taken = await (
      await this.store()
    ).insertIfAbsent({
      namespace: this.lockNamespace,
      key,
      value: JSON.stringify(token),
      expiresAt: Date.now() + ttl,
      metadata: LOCK_METADATA,
    });
    return taken ? token : undefined;
  }

  async releaseLock(key: string, token: string): Promise<void> {
    await (await this.store()).removeHolding(this.lockNamespace, key, JSON.stringify(token));
  }

  close(): void {
    // The store belongs to the module's persistence and is closed with it.
  }

  private async remove(removal: Removal): Promise<RemovedKeys> {
    const store = await this.store();
    // Marked first: a load in flight that stores before the mark is removed after it.
    await store.tickets?.markRemoval(this.namespace, removal);
    return store.remove(this.namespace, removal, REMOVAL_BATCH);
  }

  /** A read-modify-write of one row, atomic in the store. */
  private async locked<T>(
    key: string,
    change: (current: CacheEntry | undefined) => { result: T; write?: CacheEntry },
  ): Promise<T> {
    return (await this.store()).change(this.namespace, key, (row) => {
      const { result, write } = change(row && this.decode(row));
      return { result, write: write && toRow(this.namespace, key, write) };
    });
  }

  /** The entry of a row; a row that does not decode is reported and read as a miss. */
  private decode(row: LoadedRow): CacheEntry | undefined {
    try {
      return fromRow(row);
    } catch (error) {
      this.onCorrupt?.(row.key, asError(error));
      return undefined;
    }
  }
}

/** Locks are never persisted entries: their metadata says so. */
const LOCK_METADATA = JSON.stringify({ persistence: PersistenceLevel.MEMORY_ONLY });
/** Keys per delete statement. */
const REMOVAL_BATCH = CACHE_DEFAULTS.batchSize;
