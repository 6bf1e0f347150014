import type { NamespaceCacheEvent, NamespaceCacheListener } from '../events';
import { InvalidOptionError } from '../errors/cache.error';
import type { BatchLoader, CacheLoader, NamespaceLoader } from '../loading/namespace-loader';
import { parseSetOptions } from '../options/call-options';
import type { GetOrSetOptions, SetOptions } from '../options/call-options.interface';
import { parseTtl } from '../options/duration';
import type { NamespaceSettings } from '../options/resolved-options';
import type { NamespaceTiers } from '../stack/stack-types';
import type { TierStack } from '../stack/tier-stack';
import type { NamespaceStats } from '../stats';
import { remainingTtl, type CacheEntry } from '../tiers/cache-entry';
import { assertGlob } from '../values/glob';
import { assertKey } from '../values/validate-key';
import { checkPatch } from '../values/check-patch';
import { createEntry } from './create-entry';
import { IndexQueries } from './index-queries';
import type { InvalidationCallback } from './invalidation-listeners';
import { NamespaceBatches } from './namespace-batches';
import { NamespaceCounters } from './namespace-counters';
import { NamespaceSignals } from './namespace-signals';
import { wireNamespace } from './namespace-wiring';
import { TimedReads } from './timed-reads';

export type { CacheLoader } from '../loading/namespace-loader';

/**
 * One named cache. Reads go nearest tier first (memory), writes go to the shared tier first and
 * then to memory. Values come back as deeply frozen copies: what a caller passed to `set` or got
 * from `get` can never change what the cache holds (clone before mutating, e.g.
 * `structuredClone(value)`).
 *
 * When the shared tier fails (down, slow, circuit open) calls do not throw unless the module is
 * `strict`: reads answer from memory or as a miss, writes still reach memory, and the fault is
 * counted in `stats().errors` and emitted as an `error` event.
 *
 * Obtain one with `@InjectCache(name)` or `CacheService.namespace(name)`. Each method checks its
 * arguments and makes one call down: to the tier stack (`stack/`) or to loading (`loading/`),
 * itself or through the collaborator it hands the call to (batches, index queries, counters,
 * timed reads).
 */
export class NamespaceCache<V = unknown> {
  readonly #signals: NamespaceSignals;
  readonly #stack: TierStack;
  readonly #loader: NamespaceLoader<V>;
  /** Present when metrics are on: `get` timed for the latency histograms. */
  readonly #timed: TimedReads<V> | undefined;
  readonly #batches: NamespaceBatches<V>;
  readonly #queries: IndexQueries<V>;
  readonly #counters: NamespaceCounters;

  /** @internal built by `CacheService` (or a spec) from the namespace's tiers. */
  constructor(
    /** The namespace's settings after defaults. */
    readonly settings: NamespaceSettings,
    tiers: NamespaceTiers,
  ) {
    if (!tiers.near && !tiers.far) {
      throw new InvalidOptionError(`namespace "${settings.name}" has no tier`);
    }
    const signals = (this.#signals = new NamespaceSignals(settings.name, tiers.metrics));
    const { stack, loader } = wireNamespace<V>(this, settings, tiers, signals);
    this.#stack = stack;
    this.#loader = loader;
    const metrics = signals.metrics;
    this.#timed = metrics && new TimedReads<V>(stack, signals, metrics, this.#foundOf);
    this.#batches = new NamespaceBatches<V>(settings, stack, signals);
    this.#queries = new IndexQueries<V>(stack);
    this.#counters = new NamespaceCounters(settings, stack);
  }

  /** The namespace's name. */
  get name(): string {
    return this.settings.name;
  }

  /** The value under `key`, or undefined on a miss (`null` is a value). */
  get(key: string): Promise<V | undefined> {
    // Not async: a memory hit (the hot path) builds one settled promise and no async frame.
    try {
      const timed = this.#timed;
      if (timed !== undefined) return Promise.resolve(timed.get(key));
      const near = this.#stack.freshNear(key);
      if (near !== undefined) return Promise.resolve(this.#signals.hit(key, near) as V);
      // Checked past memory: memory holds no key that fails the check (every write checks its
      // key first, and warm start skips a row whose key fails), so a hit needs none.
      assertKey(key);
      // The count of a hit or miss runs in the read's own settlement (no promise of its own).
      return Promise.resolve(this.#stack.readThen(key, this.#foundOf));
    } catch (error) {
      // A bad key: rejected, as from any other call (always a CacheError).
      const failure = error as Error;
      return Promise.reject(failure);
    }
  }

  /** Stores `value` under `key`. `undefined` or an unserializable value throws; nothing is stored. */
  set(key: string, value: V, options?: SetOptions): Promise<void> {
    // Not async: the stack's promise is returned as is (one promise per set, not two).
    try {
      assertKey(key);
      return this.#stack.set(key, createEntry(this.settings, value, parseSetOptions(options)));
    } catch (error) {
      // Thrown by the checks above: always a CacheError.
      const failure = error as Error;
      return Promise.reject(failure);
    }
  }

  /**
   * The value under `key`; on a miss, calls `loader` and stores its result. Concurrent callers
   * of one missing key share one loader call; a loader that throws rejects every waiter and
   * caches nothing. A loader that returns `undefined` caches nothing and returns `undefined`.
   * With `lock`, one loader runs across all instances sharing the Redis tier. With `grace`,
   * `timeout`, `hardTimeout` and `refreshAhead`, a slow or failing loader is served around.
   */
  getOrSet(key: string, loader: CacheLoader<V>, options?: GetOrSetOptions): Promise<V> {
    // Checked down there, so the memory hit stays one call (and a bad key still rejects).
    return this.#loader.getOrSet(key, loader, options);
  }

  /**
   * Loads many keys at once: the ones held are read, the missing ones go to `loadMissing` in
   * one batch (it returns a `Map` or a record of key to value; keys it leaves out stay missing).
   * Keys already being loaded by a concurrent call are joined, not loaded again.
   */
  async getOrSetMany(
    keys: readonly string[],
    loadMissing: BatchLoader<V>,
    options?: SetOptions,
  ): Promise<Array<V | undefined>> {
    if (typeof loadMissing !== 'function') {
      throw new InvalidOptionError(
        'getOrSetMany(keys, loadMissing): loadMissing must be a function',
      );
    }
    return this.#loader.getOrSetMany(keys, loadMissing, parseSetOptions(options));
  }

  /** Deletes `key`; true when it held a value. */
  async delete(key: string): Promise<boolean> {
    assertKey(key);
    return (await this.#stack.delete([key])).held.length > 0;
  }

  /** True when `key` holds a live value. Counts neither a hit nor a miss. */
  async has(key: string): Promise<boolean> {
    assertKey(key);
    return (await this.#stack.peek(key)) !== undefined;
  }

  /**
   * Deletes every entry of this namespace (and of no other); returns how many live values it
   * removed: an entry past its TTL, kept for `grace`, is removed but not counted.
   */
  clear(): Promise<number> {
    return this.#stack.clear();
  }

  /** Values of `keys`, in order; undefined where missing. */
  getMany(keys: readonly string[]): Promise<Array<V | undefined>> {
    // Not async: the values are filled in the shared tier call's own settlement.
    try {
      return Promise.resolve(this.#batches.getMany(keys));
    } catch (error) {
      // A bad key: rejected, as from any other call (always a CacheError).
      const failure = error as Error;
      return Promise.reject(failure);
    }
  }

  /**
   * Stores many entries. Every key, value and option is checked before anything is written, so
   * one bad entry stores none of them.
   */
  setMany(entries: ReadonlyArray<readonly [string, V, SetOptions?]>): Promise<void> {
    return this.#batches.setMany(entries);
  }

  /**
   * Shallow-merges `patch` into the object under `key`, keeping its TTL, tags and indexes.
   * False when the key is missing. Keys `__proto__`, `constructor` and `prototype` are refused.
   */
  async update(key: string, patch: Partial<V>): Promise<boolean> {
    assertKey(key);
    const limit = this.settings.maxValueBytes;
    return this.#stack.update(key, checkPatch(patch, limit), limit);
  }

  /**
   * Adds `by` to the number under `key` atomically and returns the result. A missing key starts
   * from 0 and takes the TTL of `options` (or the namespace); an existing one keeps its TTL.
   */
  increment(key: string, by = 1, options?: SetOptions): Promise<number> {
    return this.#counters.increment(key, by, options);
  }

  /** Subtracts `by` from the number under `key` atomically; see `increment`. */
  decrement(key: string, by = 1, options?: SetOptions): Promise<number> {
    return this.increment(key, typeof by === 'number' ? -by : by, options);
  }

  /** Stores `value` only if `key` holds nothing (NX); true when stored. */
  async setIfAbsent(key: string, value: V, options?: SetOptions): Promise<boolean> {
    assertKey(key);
    const entry = createEntry(this.settings, value, parseSetOptions(options));
    return this.#stack.setIfAbsent(key, entry);
  }

  /** Remaining time to live of `key` in ms (`Infinity` = no expiry), or undefined when missing. */
  async getTtl(key: string): Promise<number | undefined> {
    assertKey(key);
    const entry = await this.#stack.peek(key);
    return entry === undefined ? undefined : remainingTtl(entry, Date.now());
  }

  /** Gives `key` a new time to live from now; false when it is missing. */
  async expire(key: string, ttl: SetOptions['ttl']): Promise<boolean> {
    assertKey(key);
    const ms = parseTtl(ttl, 'ttl');
    return this.#stack.expire(key, ms === Infinity ? Infinity : Date.now() + ms);
  }

  /** Values of the fresh entries whose index `index` equals `value`. */
  getByIndex(index: string, value: string): Promise<V[]> {
    return this.#queries.getByIndex(index, value);
  }

  /** Keys of the fresh entries whose index `index` equals `value`. */
  keysByIndex(index: string, value: string): Promise<string[]> {
    return this.#queries.keysByIndex(index, value);
  }

  /** Deletes every entry carrying any of `tags`; returns how many. */
  invalidateTags(tags: readonly string[]): Promise<number> {
    return this.#queries.invalidateTags(tags);
  }

  /**
   * Deletes every entry whose key matches `glob` (`*` any run, `?` one character, `\` escapes);
   * the glob applies to this namespace's keys only. Returns how many.
   */
  async invalidatePattern(glob: string): Promise<number> {
    assertGlob(glob, 'invalidatePattern(glob)');
    return (await this.#stack.deleteMatching(glob)).held.length;
  }

  /**
   * Calls `callback(key)` for each key matching `glob` this instance learns is gone: its own
   * `delete`, `invalidateTags`, `invalidatePattern` and `clear` (for `clear`, the keys memory
   * held), and another instance's change of a key this instance's memory held (a delete,
   * invalidation, clear, or a write, which drops the old copy too). Expiry and eviction do not
   * call it (see the `expire` and `evict` events). Returns the function that unsubscribes.
   */
  onInvalidate(glob: string, callback: InvalidationCallback): () => void {
    return this.#signals.onInvalidate(glob, callback);
  }

  /** Counters since start plus what the namespace holds now (see `entriesSource`). */
  stats(): NamespaceStats {
    return this.#signals.stats(this.#stack.usage());
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends NamespaceCacheEvent>(event: E, listener: NamespaceCacheListener<E>): () => void {
    return this.#signals.on(event, listener);
  }

  /**
   * A read below memory, counted as a hit when fresh and a miss otherwise: made once, since every
   * get below memory passes it as the read's outcome.
   */
  readonly #foundOf = (key: string, entry: CacheEntry | undefined): V | undefined =>
    this.#signals.found(key, entry, Date.now()) as V | undefined;
}
