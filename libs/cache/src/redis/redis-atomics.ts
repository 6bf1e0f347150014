import { CacheError } from '../errors/cache.error';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import { counterError, mergeEntry } from '../tiers/entry-rules';
import { encodeValue } from '../values/value-codec';
import { encodeEntry, encodeHead } from './redis-entry';
import { RedisNamespace } from './redis-namespace';
import type { ScriptedPipeline } from './redis-script-commands';
import { SCRIPT_COMMAND } from './redis-scripts';
import { quoted } from '../logging/log-text';

const UPDATE_ATTEMPTS = 16;

/**
 * The conditional and read-modify-write commands of a namespace on Redis (set-if-absent,
 * update, increment, expire), each one script or one optimistic round; `RedisTier` extends it.
 */
export class RedisAtomics extends RedisNamespace {
  async setIfAbsent(key: string, entry: CacheEntry): Promise<boolean> {
    const { text, ttl, refs } = encodeEntry(entry, Date.now());
    const stored = await this.client.cacheSetIfAbsent(
      this.valueKey(key),
      this.base,
      key,
      text,
      ttl,
      refs,
      Date.now(),
    );
    return stored === 1;
  }

  /** `setIfAbsent` for a page of entries in one pipeline (one round trip); true for each stored. */
  async setManyIfAbsent(entries: ReadonlyArray<readonly [string, CacheEntry]>): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const now = Date.now();
    // Every key of the namespace shares its hash tag: a Cluster pipelines them to one node too.
    const pipeline = this.client.pipeline() as unknown as ScriptedPipeline;
    for (const [key, entry] of entries) {
      const { text, ttl, refs } = encodeEntry(entry, now);
      const vkey = this.valueKey(key);
      pipeline[SCRIPT_COMMAND](vkey, 'cacheSetIfAbsent', this.base, key, text, ttl, refs, now);
    }
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, stored]) => {
      if (error) throw error;
      return stored === 1;
    });
  }

  /** Optimistic: read, merge, and write only if nobody wrote in between; retried on conflict. */
  async update(
    key: string,
    patch: Readonly<Record<string, unknown>>,
    maxBytes?: number,
  ): Promise<CacheEntry | undefined> {
    const vkey = this.valueKey(key);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const text = await this.client.get(vkey);
      if (text === null) return undefined;
      const current = this.decode(key, text);
      if (current === undefined) return undefined;
      const merged = mergeEntry(key, current, patch, maxBytes);
      if (merged === undefined) return undefined;
      const head = text.slice(0, text.indexOf('\n', text.indexOf('\n') + 1) + 1);
      const replacement = head + encodeValue(merged.value);
      const result = await this.client.cacheCompareAndSet(vkey, text, replacement);
      if (result === 1) return merged;
      if (result === -1) return undefined;
    }
    throw new CacheError(
      `update(${quoted(key)}) lost ${UPDATE_ATTEMPTS} races with concurrent writers`,
      'E_CACHE_CONFLICT',
      'retry, or serialize writers of this key',
    );
  }

  async increment(key: string, by: number, template: EntryTemplate): Promise<number> {
    const { head, ttl, refs } = encodeHead(template, Date.now());
    try {
      const text = await this.client.cacheIncrement(
        this.valueKey(key),
        this.base,
        key,
        by,
        head,
        ttl,
        refs,
        Date.now(),
      );
      return Number(text);
    } catch (error) {
      const message = (error as Error).message ?? '';
      const at = message.indexOf('E_CACHE_WRONG_TYPE');
      // The script applies the rules of `addToCounter` and answers with one of its reasons.
      if (at >= 0) throw counterError(key, message.slice(at + 'E_CACHE_WRONG_TYPE '.length));
      throw error;
    }
  }

  async expire(key: string, expiresAt: number): Promise<boolean> {
    const line = expiresAt === Infinity ? '' : String(expiresAt);
    const changed = await this.client.cacheExpire(
      this.valueKey(key),
      this.base,
      key,
      line,
      Date.now(),
    );
    return changed === 1;
  }
}
