import type { TierKind } from '../options/cache-options.interface';
import type { CacheEntry, EntryTemplate } from './cache-entry';
import type { RemovedKeys } from './removed-keys';

/** A result that a nearby tier returns at once and a remote tier returns as a Promise. */
export type Awaitable<T> = T | Promise<T>;

/** Why an entry left a tier without being deleted by a caller. */
export type RemovalReason = 'evict' | 'expire';

/** Told when a tier drops an entry on its own (LRU eviction, expiry). */
export type RemovalListener = (key: string, reason: RemovalReason) => void;

/**
 * One storage tier, scoped to one namespace: keys here are the caller's keys, and the tier
 * alone knows how it prefixes them. Memory, Redis and PostgreSQL implement it and pass the same
 * contract suite (`tier.contract.ts`). Every read-modify-write method is atomic within the tier.
 * The memory tier returns plain values, so the hot path pays no extra await.
 */
export interface CacheTier {
  readonly kind: TierKind;

  /** The live entry under `key`, or undefined (expired entries are misses). */
  get(key: string): Awaitable<CacheEntry | undefined>;
  /** Entries for `keys`, in order. */
  getMany(keys: readonly string[]): Awaitable<ReadonlyArray<CacheEntry | undefined>>;
  /** Stores `entry` under `key`, replacing what was there (and its tags and indexes). */
  set(key: string, entry: CacheEntry): Awaitable<void>;
  /** Stores `entry` only if no live entry exists; true when stored. */
  setIfAbsent(key: string, entry: CacheEntry): Awaitable<boolean>;
  /**
   * Shallow-merges `patch` (already validated and frozen) into the object under `key`, keeping
   * its expiry and metadata; the merged value is held to `maxBytes` (see `mergePatch`). Returns
   * the new entry, or undefined when there is none.
   */
  update(
    key: string,
    patch: Readonly<Record<string, unknown>>,
    maxBytes?: number,
  ): Awaitable<CacheEntry | undefined>;
  /**
   * Adds `by` to the number under `key`; a missing key starts at 0 and takes `template`'s
   * expiry and metadata. Returns the new number.
   */
  increment(key: string, by: number, template: EntryTemplate): Awaitable<number>;
  /** Sets the expiry of a live entry; false when there is none. */
  expire(key: string, expiresAt: number): Awaitable<boolean>;
  /** Deletes `keys`; returns the ones that held an entry, fresh or stale. */
  delete(keys: readonly string[]): Awaitable<RemovedKeys>;
  /** Deletes every entry carrying any of `tags`; returns their keys. */
  deleteByTags(tags: readonly string[]): Awaitable<RemovedKeys>;
  /**
   * Deletes every entry whose key matches `glob` (`*` any run, `?` one character, `\\` escapes;
   * anything else literal); returns their keys. Never reaches beyond this namespace.
   */
  deleteMatching(glob: string): Awaitable<RemovedKeys>;
  /** Keys of fresh entries whose index `name` has `value` (one past its TTL is absent). */
  keysByIndex(name: string, value: string): Awaitable<string[]>;
  /**
   * Deletes every entry of this namespace; returns how many held a fresh value (one past its TTL,
   * within grace, is deleted but not counted, as in `RemovedKeys`).
   */
  clear(): Awaitable<number>;
  /** Entries held and their approximate size in bytes. */
  usage(): Awaitable<TierUsage>;
  /** Releases what the tier holds open. */
  close(): Awaitable<void>;
  /**
   * Takes a lock on `key` across every instance for `ttl` ms; the token to release it, or
   * undefined when someone else holds it. Only shared tiers implement it.
   */
  acquireLock?(key: string, ttl: number): Promise<string | undefined>;
  /** Releases a lock taken with `acquireLock`, if it is still ours. */
  releaseLock?(key: string, token: string): Promise<void>;
  /**
   * `get` at the start of a load, with the ticket its store presents to `setUnlessChanged`. Only
   * shared tiers implement it: they alone see other instances' writes.
   */
  readForLoad?(key: string): Promise<TicketedRead>;
  /**
   * `readForLoad` for many keys in one round trip (a batch load's first read), in order. Each
   * ticket is as good as one `readForLoad` would have issued at that moment.
   */
  readManyForLoad?(keys: readonly string[]): Promise<TicketedRead[]>;
  /**
   * The ticket of a load whose first read failed (tiers that issue tickets implement it): it
   * vouches for nothing that was read, so its store lands only where no instance can have changed
   * the key meanwhile: nothing stored under it, no delete mark, no removal by rule.
   */
  unreadTicket?(): LoadTicket;
  /**
   * Stores a loaded entry unless `key` was written, deleted or invalidated (by any instance)
   * since `ticket` was read; true when stored.
   */
  setUnlessChanged?(key: string, entry: CacheEntry, ticket: LoadTicket): Promise<boolean>;
  /** `setIfAbsent` for many entries in one round trip (warm start); true for each stored. */
  setManyIfAbsent?(entries: ReadonlyArray<readonly [string, CacheEntry]>): Promise<boolean[]>;
}

/** What a load's first read found, and the ticket its store presents. */
export interface TicketedRead {
  readonly entry: CacheEntry | undefined;
  readonly ticket: LoadTicket;
}

/** Opaque to everyone but the tier that issued it: what the key looked like when a load began. */
export interface LoadTicket {
  readonly issuedAt: number;
}

/** Size of what a tier holds for one namespace. */
export interface TierUsage {
  readonly entries: number;
  /** Approximate bytes; 0 where the tier does not track it (Redis). */
  readonly bytes: number;
  /** Entries whose persistence level is not MEMORY_ONLY; 0 where the tier does not track it. */
  readonly persistent: number;
}
