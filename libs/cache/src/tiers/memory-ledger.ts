import { PersistenceLevel } from '../options/persistence-level';
import { isExpired, type CacheEntry } from './cache-entry';
import type { RemovalListener, TierUsage } from './cache-tier.interface';
import { KeySets } from './key-sets';

/**
 * What the entries of a memory tier add up to and link: their bytes, how many persistence
 * keeps, and the reverse maps of their tags and indexes. The LRU's insert and dispose hooks keep
 * it in step, so overwrite, delete, expiry and eviction all update it.
 */
export class MemoryLedger {
  private readonly byTag = new KeySets();
  private readonly byIndex = new KeySets();
  private bytes = 0;
  private persistent = 0;

  constructor(
    /** Told about evictions and expirations the LRU carries out. */
    private readonly onRemoved: RemovalListener | undefined,
  ) {}

  /** Counts an entry the LRU took in, and links its tags and indexes. */
  track(key: string, entry: CacheEntry): void {
    this.bytes += key.length + entry.size;
    if (entry.persistence !== PersistenceLevel.MEMORY_ONLY) this.persistent++;
    entry.tags?.forEach((tag) => this.byTag.add(tag, key));
    if (entry.indexes) {
      for (const name in entry.indexes) this.byIndex.add(indexKey(name, entry.indexes[name]), key);
    }
  }

  /** Uncounts and unlinks an entry the LRU let go of; an eviction is reported. */
  forget(key: string, entry: CacheEntry, evicted: boolean): void {
    this.bytes -= key.length + entry.size;
    if (entry.persistence !== PersistenceLevel.MEMORY_ONLY) this.persistent--;
    entry.tags?.forEach((tag) => this.byTag.remove(tag, key));
    if (entry.indexes) {
      for (const name in entry.indexes)
        this.byIndex.remove(indexKey(name, entry.indexes[name]), key);
    }
    if (evicted) this.onRemoved?.(key, isExpired(entry, Date.now()) ? 'expire' : 'evict');
  }

  /** The keys carrying `tag`, live or not. */
  tagged(tag: string): ReadonlySet<string> | undefined {
    return this.byTag.get(tag);
  }

  /** The keys whose index `name` is `value`, live or not. */
  indexed(name: string, value: string): ReadonlySet<string> | undefined {
    return this.byIndex.get(indexKey(name, value));
  }

  /** What the tier holds, given its count of `entries`. */
  usage(entries: number): TierUsage {
    return { entries, bytes: this.bytes, persistent: this.persistent };
  }
}

function indexKey(name: string, value: string): string {
  // JSON keeps names and values containing the separator apart.
  return JSON.stringify([name, value]);
}
