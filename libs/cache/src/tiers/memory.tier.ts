import { LRUCache } from 'lru-cache';
import { InvalidOptionError, ValueTooLargeError } from '../errors';
import { PersistenceLevel } from '../options/persistence-level';
import { compileGlob } from '../values/glob';
import { isExpired, type CacheEntry, type EntryTemplate } from './cache-entry';
import type { CacheTier, RemovalListener, TierUsage } from './cache-tier.interface';
import { addToCounter, freshEntry, mergeEntry, withExpiry } from './entry-rules';
import { KeySets } from './key-sets';

/** Bounds and hooks of one namespace's memory tier. */
export interface MemoryTierOptions {
  /** Most entries kept; the least recently used goes first. */
  readonly maxEntries?: number;
  /** Most bytes (approximate JSON size of key and value) kept. */
  readonly maxBytes?: number;
  /** Told about evictions and expirations. */
  readonly onRemoved?: RemovalListener;
}

interface MemoryRecord {
  readonly entry: CacheEntry;
  readonly size: number;
}

/**
 * The in-process tier: an LRU (`lru-cache`) bounded by entries and/or bytes. Expiry is checked
 * when an entry is touched, never by scanning; tags and secondary indexes are reverse maps kept
 * in step by the LRU's dispose hook, so overwrite, delete, expiry and eviction all update them.
 */
export class MemoryTier implements CacheTier {
  readonly kind = 'memory' as const;
  private readonly lru: LRUCache<string, MemoryRecord>;
  private readonly byTag = new KeySets();
  private readonly byIndex = new KeySets();
  private bytes = 0;
  private persistent = 0;

  constructor(private readonly options: MemoryTierOptions) {
    const dispose = (record: MemoryRecord, key: string, reason: LRUCache.DisposeReason): void =>
      this.forget(key, record, reason === 'evict');
    const { maxEntries: max, maxBytes: maxSize } = options;
    if (max === undefined && maxSize === undefined) {
      throw new InvalidOptionError('the memory tier needs maxEntries or maxBytes');
    }
    this.lru =
      max !== undefined
        ? new LRUCache<string, MemoryRecord>({ max, maxSize, dispose })
        : new LRUCache<string, MemoryRecord>({ maxSize: maxSize as number, dispose });
  }

  get(key: string): CacheEntry | undefined {
    const record = this.lru.get(key);
    if (record === undefined) return undefined;
    const end = record.entry.graceUntil ?? record.entry.expiresAt;
    if (end !== Infinity && end <= Date.now()) {
      this.expireNow(key);
      return undefined;
    }
    return record.entry;
  }

  /** True when an entry is held under `key` (live or not), without touching its recency. */
  holds(key: string): boolean {
    return this.lru.has(key);
  }

  getMany(keys: readonly string[]): Array<CacheEntry | undefined> {
    return keys.map((key) => this.get(key));
  }

  /** False when `entry` alone is larger than this tier's byte budget. */
  fits(key: string, entry: CacheEntry): boolean {
    return this.options.maxBytes === undefined || key.length + entry.size <= this.options.maxBytes;
  }

  set(key: string, entry: CacheEntry): void {
    const size = key.length + entry.size;
    if (this.options.maxBytes !== undefined && size > this.options.maxBytes) {
      throw new ValueTooLargeError(
        `entry "${key}" is about ${size} bytes, more than this namespace's memory.maxBytes (${this.options.maxBytes})`,
      );
    }
    // Setting the same key disposes the old record first (dropping its tags and indexes).
    this.lru.set(key, { entry, size }, this.options.maxBytes === undefined ? undefined : { size });
    this.bytes += size;
    if (entry.persistence !== PersistenceLevel.MEMORY_ONLY) this.persistent++;
    entry.tags?.forEach((tag) => this.byTag.add(tag, key));
    if (entry.indexes) {
      for (const name in entry.indexes) this.byIndex.add(indexKey(name, entry.indexes[name]), key);
    }
  }

  setIfAbsent(key: string, entry: CacheEntry): boolean {
    if (freshEntry(this.get(key), Date.now()) !== undefined) return false;
    this.set(key, entry);
    return true;
  }

  update(
    key: string,
    patch: Readonly<Record<string, unknown>>,
    maxBytes?: number,
  ): CacheEntry | undefined {
    const entry = mergeEntry(key, this.get(key), patch, maxBytes);
    if (entry === undefined) return undefined;
    this.set(key, entry);
    return entry;
  }

  increment(key: string, by: number, template: EntryTemplate): number {
    const entry = addToCounter(key, this.get(key), by, template);
    this.set(key, entry);
    return entry.value;
  }

  expire(key: string, expiresAt: number): boolean {
    const current = freshEntry(this.get(key), Date.now());
    if (current === undefined) return false;
    this.set(key, withExpiry(current, expiresAt));
    return true;
  }

  delete(keys: readonly string[]): string[] {
    const deleted: string[] = [];
    for (const key of keys) {
      if (this.get(key) !== undefined) deleted.push(key);
      this.lru.delete(key);
    }
    return deleted;
  }

  deleteByTags(tags: readonly string[]): string[] {
    const keys = new Set<string>();
    for (const tag of tags) this.byTag.get(tag)?.forEach((key) => keys.add(key));
    return this.delete([...keys]);
  }

  deleteMatching(glob: string): string[] {
    const pattern = compileGlob(glob);
    const keys: string[] = [];
    for (const key of this.lru.keys()) if (pattern.test(key)) keys.push(key);
    return this.delete(keys);
  }

  keysByIndex(name: string, value: string): string[] {
    const keys = this.byIndex.get(indexKey(name, value));
    if (keys === undefined) return [];
    // Copied first: touching an expired key removes it from the set being read.
    return [...keys].filter((key) => this.get(key) !== undefined);
  }

  /** Keys of the live entries held (grace included), for telling who listens before a clear. */
  liveKeys(): string[] {
    const now = Date.now();
    const keys: string[] = [];
    for (const [key, record] of this.lru.entries())
      if (!isExpired(record.entry, now)) keys.push(key);
    return keys;
  }

  clear(): number {
    const now = Date.now();
    let live = 0;
    for (const record of this.lru.values()) if (!isExpired(record.entry, now)) live++;
    this.lru.clear();
    return live;
  }

  usage(): TierUsage {
    return { entries: this.lru.size, bytes: this.bytes, persistent: this.persistent };
  }

  close(): void {
    this.lru.clear();
  }

  private expireNow(key: string): void {
    this.lru.delete(key);
    this.options.onRemoved?.(key, 'expire');
  }

  private forget(key: string, record: MemoryRecord, evicted: boolean): void {
    const { entry } = record;
    this.bytes -= record.size;
    if (entry.persistence !== PersistenceLevel.MEMORY_ONLY) this.persistent--;
    entry.tags?.forEach((tag) => this.byTag.remove(tag, key));
    if (entry.indexes) {
      for (const name in entry.indexes)
        this.byIndex.remove(indexKey(name, entry.indexes[name]), key);
    }
    if (evicted) this.options.onRemoved?.(key, isExpired(entry, Date.now()) ? 'expire' : 'evict');
  }
}

function indexKey(name: string, value: string): string {
  // JSON keeps names and values containing the separator apart.
  return JSON.stringify([name, value]);
}
