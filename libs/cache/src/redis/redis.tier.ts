import { createHash, randomUUID } from 'node:crypto';
import { CacheError, InvalidValueError } from '../errors/cache.error';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import { isExpired } from '../tiers/cache-entry';
import type { CacheTier, LoadTicket, TicketedRead, TierUsage } from '../tiers/cache-tier.interface';
import { counterError, mergeEntry } from '../tiers/entry-rules';
import { compileGlob } from '../values/glob';
import { encodeValue } from '../values/value-codec';
import { CircuitOpenError } from '../stack/circuit-breaker';
import { mastersOf, type ScriptCommands, type ScriptedClient } from './redis-connection';
import { decodeEntry, encodeEntry, encodeHead, indexRef } from './redis-entry';
import { escapeRedisGlob, toRedisGlob } from './redis-glob';
import { LOAD_WINDOW_MS } from './redis-removal-scripts';

/** The namespace's write counter when a load began, and the text it read then. */
interface RedisTicket extends LoadTicket {
  readonly counter: string;
  readonly text: string | null;
}

/** A pipeline of the client, with the cache's scripts queued on it. */
interface ScriptedPipeline {
  cacheSetIfAbsent(...args: Parameters<ScriptCommands['cacheSetIfAbsent']>): ScriptedPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** Told about an entry that could not be decoded (it is deleted and read as a miss). */
export type CorruptEntryListener = (key: string, error: Error) => void;

const BATCH = 500;
const UPDATE_ATTEMPTS = 16;

/**
 * One namespace on Redis (standalone, Sentinel or Cluster). Keys live under the base
 * `{prefix:namespace}`: values at `base:v:<key>`, tag sets at `base:t:<tag>`, index sets at
 * `base:i:<index>`; the hash tag keeps them on one Cluster slot so scripts can keep values,
 * tags and indexes in step atomically. The namespace's `FarGuard` bounds each call in time and
 * applies the connection's circuit breaker.
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
    return this.client.mget(valueKeys).then((texts) => {
      const now = Date.now();
      const entries = new Array<CacheEntry | undefined>(texts.length);
      for (let i = 0; i < texts.length; i++) {
        const text = texts[i];
        entries[i] = text === null ? undefined : this.decode(keys[i], text, now);
      }
      return entries;
    });
  }

  /** One MGET: the value and the namespace's write counter (see `SET_UNLESS_CHANGED_SCRIPT`). */
  async readForLoad(key: string): Promise<TicketedRead> {
    const issuedAt = Date.now();
    const [text, counter] = await this.client.mget(this.valueKey(key), `${this.base}:n`);
    const ticket: RedisTicket = { issuedAt, counter: counter ?? '0', text };
    return { entry: text === null ? undefined : this.decode(key, text), ticket };
  }

  /** `readForLoad` of many keys in one MGET: their values and the one write counter. */
  async readManyForLoad(keys: readonly string[]): Promise<TicketedRead[]> {
    if (keys.length === 0) return [];
    const issuedAt = Date.now();
    const texts = await this.client.mget([
      ...keys.map((key) => this.valueKey(key)),
      `${this.base}:n`,
    ]);
    const counter = texts.pop() ?? '0';
    return texts.map((text, i) => {
      const ticket: RedisTicket = { issuedAt, counter, text };
      return { entry: text === null ? undefined : this.decode(keys[i], text), ticket };
    });
  }

  async setUnlessChanged(key: string, entry: CacheEntry, ticket: LoadTicket): Promise<boolean> {
    const { counter, text: seen } = ticket as RedisTicket;
    // Delete marks outlive the load window, not longer loads: those store nothing.
    if (Date.now() - ticket.issuedAt > LOAD_WINDOW_MS) return false;
    const digest = seen === null ? '' : createHash('sha1').update(seen).digest('hex');
    const { text, ttl, refs } = encodeEntry(entry, Date.now());
    const stored = await this.client.cacheSetUnlessChanged(
      this.valueKey(key),
      this.base,
      key,
      text,
      ttl,
      refs,
      counter,
      digest,
    );
    return stored === 1;
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

  async delete(keys: readonly string[]): Promise<string[]> {
    const deleted: string[] = [];
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      deleted.push(
        ...(await this.client.cacheDelete(this.valueKey(batch[0]), this.base, ...batch)),
      );
    }
    return deleted;
  }

  async deleteByTags(tags: readonly string[]): Promise<string[]> {
    if (tags.length === 0) return [];
    return this.client.cacheDeleteByTags(`${this.base}:t:${tags[0]}`, this.base, ...tags);
  }

  async deleteMatching(glob: string): Promise<string[]> {
    // Loads in flight whose key the glob matches must not store: the whole namespace's do not.
    await this.client.cacheMarkEpoch(this.valueKey(''), this.base);
    const prefix = `${this.base}:v:`;
    const pattern = compileGlob(glob);
    const keys: string[] = [];
    await this.scan(escapeRedisGlob(prefix) + toRedisGlob(glob), (found) => {
      for (const redisKey of found) {
        const key = redisKey.slice(prefix.length);
        // The MATCH already scoped it; the check keeps a server-side surprise from widening it.
        if (redisKey.startsWith(prefix) && pattern.test(key)) keys.push(key);
      }
    });
    return this.delete(keys);
  }

  async keysByIndex(name: string, value: string): Promise<string[]> {
    const ref = indexRef(name, value);
    return this.client.cacheIndexMembers(`${this.base}:${ref}`, this.base, ref);
  }

  async clear(): Promise<number> {
    const valuePrefix = `${this.base}:v:`;
    // Locks stay: another instance may be loading under one right now.
    const lockPrefix = `${this.base}:l:`;
    // The write counter and epoch stay too: loads begun before the clear store nothing after it.
    const kept = new Set([`${this.base}:n`, `${this.base}:e`]);
    await this.client.cacheMarkEpoch(this.valueKey(''), this.base);
    let count = 0;
    await this.scan(`${escapeRedisGlob(this.base)}:*`, async (found, node) => {
      const doomed = found.filter((key) => !key.startsWith(lockPrefix) && !kept.has(key));
      count += doomed.filter((key) => key.startsWith(valuePrefix)).length;
      if (doomed.length > 0) await node.unlink(...doomed);
    });
    return count;
  }

  async usage(): Promise<TierUsage> {
    let entries = 0;
    await this.scan(`${escapeRedisGlob(this.base)}:v:*`, (found) => {
      entries += found.length;
    });
    return { entries, bytes: 0, persistent: 0 };
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

  /** SCAN + MATCH over every master (keys of one namespace sit on one of them). */
  private async scan(
    match: string,
    visit: (keys: string[], node: ScriptedClient) => void | Promise<void>,
  ): Promise<void> {
    const masters = mastersOf(this.client);
    if (masters.length === 0) {
      // A Cluster that lost every node lists none: walking nothing would report a false success.
      throw new CircuitOpenError('Redis Cluster');
    }
    for (const node of masters) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        await visit(keys, node as ScriptedClient);
      } while (cursor !== '0');
    }
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
