import { InvalidValueError } from '../errors/cache.error';
import { isExpired, type CacheEntry } from '../tiers/cache-entry';
import { decodeEntry } from './redis-entry';
import type { ScriptedClient } from './redis-script-commands';

/** Told about an entry that could not be decoded (it is deleted and read as a miss). */
export type CorruptEntryListener = (key: string, error: Error) => void;

/**
 * One namespace's place on Redis, under the base `{prefix:namespace}`: values at
 * `base:v:<key>`, locks at `base:l:<key>`, tag sets at `base:t:<tag>`, index sets at
 * `base:i:<index>`; the hash tag keeps them on one Cluster slot so scripts can keep values, tags
 * and indexes in step atomically. An entry that does not decode is reported, deleted and read as
 * a miss. `RedisTier` is built on it.
 */
export class RedisNamespace {
  protected readonly base: string;

  constructor(
    protected readonly client: ScriptedClient,
    prefix: string,
    namespace: string,
    private readonly onCorrupt?: CorruptEntryListener,
  ) {
    this.base = `{${prefix}:${namespace}}`;
  }

  protected lockKey(key: string): string {
    return `${this.base}:l:${key}`;
  }

  protected valueKey(key: string): string {
    return `${this.base}:v:${key}`;
  }

  /** The entries of `texts` (the values of `keys`, null when missing), read at one instant. */
  protected decodeAll(
    keys: readonly string[],
    texts: ReadonlyArray<string | null>,
  ): Array<CacheEntry | undefined> {
    const now = Date.now();
    const entries = new Array<CacheEntry | undefined>(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      entries[i] = text === null ? undefined : this.decode(keys[i], text, now);
    }
    return entries;
  }

  protected decode(key: string, text: string, now = Date.now()): CacheEntry | undefined {
    let entry: CacheEntry;
    try {
      entry = decodeEntry(text);
    } catch (error) {
      this.onCorrupt?.(key, error instanceof Error ? error : new InvalidValueError(String(error)));
      void this.client.unlink(this.valueKey(key)).catch(() => undefined);
      return undefined;
    }
    return isExpired(entry, now) ? undefined : entry;
  }
}
