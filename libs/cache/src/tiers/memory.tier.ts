import { LRUCache } from 'lru-cache';
import { InvalidOptionError, ValueTooLargeError } from '../errors/cache.error';
import { compileGlob } from '../values/glob';
import { isExpired, isStale, type CacheEntry, type EntryTemplate } from './cache-entry';
import type { CacheTier, RemovalListener, TierUsage } from './cache-tier.interface';
import type { RemovedKeys } from './removed-keys';
import { addToCounter, freshEntry, mergeEntry, withExpiry } from './entry-rules';
import { MemoryLedger } from './memory-ledger';
import { quoted } from '../logging/log-text';

/** Bounds and hooks of one namespace's memory tier. */
export interface MemoryTierOptions {
  /** Most entries kept; the least recently used goes first. */
  readonly maxEntries?: number;
  /** Most bytes (approximate JSON size of key and value) kept. */
  readonly maxBytes?: number;
  /** Told about evictions and expirations. */
  readonly onRemoved?: RemovalListener;
}

/**
 * The in-process tier: an LRU (`lru-cache`) bounded by entries and/or bytes. Expiry is checked
 * when an entry is touched, never by scanning; tags and secondary indexes are reverse maps kept
 * in step by the LRU's dispose hook (`MemoryLedger`), so overwrite, delete, expiry and eviction
 * all update them.
 * The LRU holds the entries themselves: an entry's bytes are its key's length plus its `size`.
 */
export class MemoryTier implements CacheTier {
  readonly kind = 'memory' as const;
  private readonly lru: LRUCache<string, CacheEntry>;
  private readonly ledger: MemoryLedger;

  constructor(private readonly options: MemoryTierOptions) {
    const ledger = (this.ledger = new MemoryLedger(options.onRemoved));
    const dispose = (entry: CacheEntry, key: string, reason: LRUCache.DisposeReason): void =>
      ledger.forget(key, entry, reason === 'evict');
    const onInsert = (entry: CacheEntry, key: string, reason: LRUCache.InsertReason): void => {
      if (reason !== 'update') ledger.track(key, entry);
    };
    const { maxEntries: max, maxBytes: maxSize } = options;
    if (max === undefined && maxSize === undefined) {
      throw new InvalidOptionError('the memory tier needs maxEntries or maxBytes');
    }
    this.lru =
      max !== undefined
        ? new LRUCache<string, CacheEntry>({ max, maxSize, dispose, onInsert })
        : new LRUCache<string, CacheEntry>({ maxSize: maxSize as number, dispose, onInsert });
  }

  get(key: string): CacheEntry | undefined {
    const entry = this.lru.get(key);
    if (entry === undefined) return undefined;
    const end = entry.graceUntil ?? entry.expiresAt;
    if (end !== Infinity && end <= Date.now()) {
      this.expireNow(key);
      return undefined;
    }
    return entry;
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
        `entry ${quoted(key)} is about ${size} bytes, more than this namespace's memory.maxBytes (${this.options.maxBytes})`,
      );
    }
    // Setting the same key disposes the old entry first (dropping its tags and indexes), then
    // `track` counts the new one; setting the very entry held again changes only its recency.
    this.lru.set(key, entry, this.options.maxBytes === undefined ? undefined : { size });
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

  delete(keys: readonly string[]): RemovedKeys {
    const now = Date.now();
    const held: string[] = [];
    const stale: string[] = [];
    for (const key of keys) {
      const entry = this.get(key);
      if (entry !== undefined) (isStale(entry, now) ? stale : held).push(key);
      this.lru.delete(key);
    }
    return { held, stale };
  }

  deleteByTags(tags: readonly string[]): RemovedKeys {
    const keys = new Set<string>();
    for (const tag of tags) this.ledger.tagged(tag)?.forEach((key) => keys.add(key));
    return this.delete([...keys]);
  }

  deleteMatching(glob: string): RemovedKeys {
    const pattern = compileGlob(glob);
    const keys: string[] = [];
    for (const key of this.lru.keys()) if (pattern.test(key)) keys.push(key);
    return this.delete(keys);
  }

  keysByIndex(name: string, value: string): string[] {
    const keys = this.ledger.indexed(name, value);
    if (keys === undefined) return [];
    const now = Date.now();
    // Copied first: touching an expired key removes it from the set being read.
    return [...keys].filter((key) => freshEntry(this.get(key), now) !== undefined);
  }

  /** Keys of the live entries held (grace included), for telling who listens before a clear. */
  liveKeys(): string[] {
    const now = Date.now();
    const keys: string[] = [];
    for (const [key, entry] of this.lru.entries()) if (!isExpired(entry, now)) keys.push(key);
    return keys;
  }

  clear(): number {
    const now = Date.now();
    let fresh = 0;
    for (const entry of this.lru.values()) if (!isStale(entry, now)) fresh++;
    this.lru.clear();
    return fresh;
  }

  usage(): TierUsage {
    return this.ledger.usage(this.lru.size);
  }

  close(): void {
    this.lru.clear();
  }

  private expireNow(key: string): void {
    this.lru.delete(key);
    this.options.onRemoved?.(key, 'expire');
  }
}
