import { InvalidOptionError } from '../errors/cache.error';
import { expectStringList } from '../options/option-checks';
import type { TierStack } from '../stack/tier-stack';
import type { CacheEntry } from '../tiers/cache-entry';
import { freshEntry } from '../tiers/entry-rules';
import { expectKeyText } from '../values/validate-key';

/**
 * The queries of a namespace by index and by tag: their arguments checked, then asked of the
 * stack (`getByIndex`, `keysByIndex`, `invalidateTags`).
 */
export class IndexQueries<V> {
  constructor(private readonly stack: TierStack) {}

  /** See `NamespaceCache.getByIndex`. */
  async getByIndex(index: string, value: string): Promise<V[]> {
    const keys = await this.keysByIndex(index, value);
    const entries = await this.stack.query('getByIndex', (tier) => tier.getMany(keys), []);
    const now = Date.now();
    // A tier's read keeps an entry past its TTL for getOrSet's grace fallback: absent here. The
    // values are read after the keys: one written again since (here or by another instance)
    // under another index value, or none, is no longer indexed so.
    return entries
      .map((entry) => freshEntry(entry, now))
      .filter((entry): entry is CacheEntry => entry?.indexes?.[index] === value)
      .map((entry) => entry.value as V);
  }

  /** See `NamespaceCache.keysByIndex`. */
  async keysByIndex(index: string, value: string): Promise<string[]> {
    if (typeof index !== 'string' || index.length === 0 || typeof value !== 'string') {
      throw new InvalidOptionError(
        'keysByIndex(index, value): index must be a non-empty string and value a string',
      );
    }
    expectKeyText(index, 'keysByIndex(index, value): index');
    expectKeyText(value, 'keysByIndex(index, value): value');
    return this.stack.query('keysByIndex', (tier) => tier.keysByIndex(index, value), []);
  }

  /** See `NamespaceCache.invalidateTags`. */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    const list = expectStringList(tags, 'tags');
    list.forEach((tag, i) => expectKeyText(tag, `tags[${i}]`));
    return (await this.stack.deleteByTags(list)).held.length;
  }
}
