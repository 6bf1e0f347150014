import { randomUUID } from 'node:crypto';
import type { CacheEntry } from '../tiers/cache-entry';
import type { CacheTier, LoadTicket, TicketedRead, TierUsage } from '../tiers/cache-tier.interface';
import { joinRemoved, type RemovedKeys } from '../tiers/removed-keys';
import { RedisAtomics } from './redis-atomics';
import { encodeEntry, indexRef } from './redis-entry';
import { issueTicket, storeUnlessChanged, writeCounterKey } from './redis-load-tickets';
import { countEntries, keysMatching, unlinkNamespace } from './redis-scan';

const BATCH = 500;

/**
 * One namespace on Redis (standalone, Sentinel or Cluster), its keys laid out by
 * `RedisNamespace`, its read-modify-writes in `RedisAtomics`. A load's read and store go by ticket
 * (`redis-load-tickets.ts`); clearing, counting and pattern deletes walk the namespace with SCAN
 * (`redis-scan.ts`). The namespace's `FarGuard` bounds each call in time and applies the
 * connection's circuit breaker.
 */
export class RedisTier extends RedisAtomics implements CacheTier {
  readonly kind = 'redis' as const;

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

  /** Counter 0 and no text: refused by any value, delete mark or epoch (see `storeUnlessChanged`). */
  unreadTicket(): LoadTicket {
    return issueTicket(Date.now(), '0', null);
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
    const batches: RemovedKeys[] = [];
    // In batches, as `delete`: a call's arguments are spread, and a spread of some 100k overflows.
    for (let i = 0; i < tags.length; i += BATCH) {
      const batch = tags.slice(i, i + BATCH);
      const [held, stale] = await this.client.cacheDeleteByTags(
        `${this.base}:t:${batch[0]}`,
        this.base,
        Date.now(),
        ...batch,
      );
      batches.push({ held, stale });
    }
    return joinRemoved(batches);
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
}
