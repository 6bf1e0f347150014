import { randomUUID } from 'node:crypto';
import { CacheError, InvalidValueError } from '../errors/cache.error';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import { isExpired } from '../tiers/cache-entry';
import type { CacheTier, LoadTicket, TicketedRead, TierUsage } from '../tiers/cache-tier.interface';
import { counterError, mergeEntry } from '../tiers/entry-rules';
import { joinRemoved, type RemovedKeys } from '../tiers/removed-keys';
import { encodeValue } from '../values/value-codec';
import type { ScriptedClient, ScriptedPipeline } from './redis-script-commands';
import { decodeEntry, encodeEntry, encodeHead, indexRef } from './redis-entry';
import { issueTicket, storeUnlessChanged, writeCounterKey } from './redis-load-tickets';
import { countEntries, keysMatching, unlinkNamespace } from './redis-scan';

/** Told about an entry that could not be decoded (it is deleted and read as a miss). */
export type CorruptEntryListener = (key: string, error: Error) => void;

const BATCH = 500;
const UPDATE_ATTEMPTS = 16;

/**
 * One namespace on Redis (standalone, Sentinel or Cluster). Keys live under the base
 * `{prefix:namespace}`: values at `base:v:<key>`, tag sets at `base:t:<tag>`, index sets at
 * `base:i:<index>`; the hash tag keeps them on one Cluster slot so scripts can keep values,
 * tags and indexes in step atomically. A load's read and store go by ticket
 * (`redis-load-tickets.ts`); clearing, counting and pattern deletes walk the namespace with SCAN
 * (`redis-scan.ts`). The namespace's `FarGuard` bounds each call in time and applies the
 * connection's circuit breaker.
 */
export class RedisTier implements CacheTier {
  readonly kind = 'redis' as const;
  private readonly base: string;

  constructor(
    private readonly client: ScriptedClient,
    prefix: string,
    namespace: string,
    private readonly onCorrupt?: CorruptEntryListener,
  ) {
    this.base = `{${prefix}:${namespace}}`;
  }

  get(key: string): Promise<CacheEntry | undefined> {
    // Not async, like the other reads: the command's promise carries the decode (the hot path).
    return this.client
      .get(this.valueKey(key))
      .then((text) => (text === null ? undefined : this.decode(key, text)));
  }

  getMany(keys: readonly string[]): Promise<Array<CacheEntry | undefined>> {
    if (keys.length === 0) return Promise.resolve([]);
    const valueKeys = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) valueKeys[i] = this.valueKey(keys[i]);
    return this.client.mget(valueKeys).then((texts) => this.decodeAll(keys, texts));
  }

  /** One MGET: the value and the namespace's write counter (see `SET_UNLESS_CHANGED_SCRIPT`). */
  async readForLoad(key: string): Promise<TicketedRead> {
    const issuedAt = Date.now();
    const [text, counter] = await this.client.mget(this.valueKey(key), writeCounterKey(this.base));
    const ticket = issueTicket(issuedAt, counter, text);
    return { entry: text === null ? undefined : this.decode(key, text), ticket };
  }

  /** `readForLoad` of many keys in one MGET: their values and the one write counter. */
  async readManyForLoad(keys: readonly string[]): Promise<TicketedRead[]> {
    if (keys.length === 0) return [];
    const issuedAt = Date.now();
    const texts = await this.client.mget([
      ...keys.map((key) => this.valueKey(key)),
      writeCounterKey(this.base),
    ]);
    const counter = texts.pop();
    const entries = this.decodeAll(keys, texts);
    return texts.map((text, i) => ({
      entry: entries[i],
      ticket: issueTicket(issuedAt, counter, text),
    }));
  }

  setUnlessChanged(key: string, entry: CacheEntry, ticket: LoadTicket): Promise<boolean> {
    return storeUnlessChanged(this.client, this.valueKey(key), this.base, key, entry, ticket);
  }

  set(key: string, entry: CacheEntry): Promise<void> {
    const { text, ttl, refs } = encodeEntry(entry, Date.now());
    const vkey = this.valueKey(key);
    // Not async: the command's own promise is returned (its reply is of no use to the caller).
    if (entry.tags === undefined && entry.indexes === undefined) {
      // Nothing to link: a plain SET. Sets the old entry belonged to drop it when next read.
      const sent = ttl < 0 ? this.client.set(vkey, text) : this.client.set(vkey, text, 'PX', ttl);
      return sent as Promise<unknown> as Promise<void>;
    }
    return this.client.cacheSet(
      vkey,
      this.base,
      key,
      text,
      ttl,
      refs,
    ) as Promise<unknown> as Promise<void>;
  }

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
      pipeline.cacheSetIfAbsent(this.valueKey(key), this.base, key, text, ttl, refs, now);
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
      `update("${key}") lost ${UPDATE_ATTEMPTS} races with concurrent writers`,
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

  async delete(keys: readonly string[]): Promise<RemovedKeys> {
    const batches: RemovedKeys[] = [];
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      const [held, stale] = await this.client.cacheDelete(
        this.valueKey(batch[0]),
        this.base,
        Date.now(),
        ...batch,
      );
      batches.push({ held, stale });
    }
    return joinRemoved(batches);
  }

  async deleteByTags(tags: readonly string[]): Promise<RemovedKeys> {
    if (tags.length === 0) return { held: [], stale: [] };
    const anyKey = `${this.base}:t:${tags[0]}`;
    const [held, stale] = await this.client.cacheDeleteByTags(
      anyKey,
      this.base,
      Date.now(),
      ...tags,
    );
    return { held, stale };
  }

  async deleteMatching(glob: string): Promise<RemovedKeys> {
    // Loads in flight whose key the glob matches must not store: the whole namespace's do not.
    await this.client.cacheMarkEpoch(this.valueKey(''), this.base);
    return this.delete(await keysMatching(this.client, this.base, glob));
  }

  async keysByIndex(name: string, value: string): Promise<string[]> {
    const ref = indexRef(name, value);
    return this.client.cacheIndexMembers(`${this.base}:${ref}`, this.base, ref, Date.now());
  }

  async clear(): Promise<number> {
    // Loads in flight, of any key, must not store: the epoch moves before the keys go.
    await this.client.cacheMarkEpoch(this.valueKey(''), this.base);
    return unlinkNamespace(this.client, this.base);
  }

  async usage(): Promise<TierUsage> {
    return { entries: await countEntries(this.client, this.base), bytes: 0, persistent: 0 };
  }

  async acquireLock(key: string, ttl: number): Promise<string | undefined> {
    const token = randomUUID();
    const taken = await this.client.set(this.lockKey(key), token, 'PX', ttl, 'NX');
    return taken === 'OK' ? token : undefined;
  }

  async releaseLock(key: string, token: string): Promise<void> {
    await this.client.cacheReleaseLock(this.lockKey(key), token);
  }

  close(): void {
    // The connection belongs to the module and is closed with it.
  }

  private lockKey(key: string): string {
    return `${this.base}:l:${key}`;
  }

  private valueKey(key: string): string {
    return `${this.base}:v:${key}`;
  }

  /** The entries of `texts` (the values of `keys`, null when missing), read at one instant. */
  private decodeAll(
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

  private decode(key: string, text: string, now = Date.now()): CacheEntry | undefined {
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
