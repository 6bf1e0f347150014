import type { NamespaceCacheEvent, NamespaceCacheListener } from '../events';
import { InvalidOptionError, InvalidValueError } from '../errors/cache.error';
import { NamespaceLoader, type BatchLoader, type CacheLoader } from '../loading/namespace-loader';
import { parseSetOptions } from '../options/call-options';
import type { GetOrSetOptions, SetOptions } from '../options/call-options.interface';
import { parseTtl } from '../options/duration';
import { describe, expectStringList } from '../options/option-checks';
import type { NamespaceMetrics } from '../metrics/cache-metrics';
import type { NamespaceSettings } from '../options/resolved-options';
import type { NamespaceTiers } from '../stack/stack-types';
import { TierStack } from '../stack/tier-stack';
import type { NamespaceStats } from '../stats';
import { remainingTtl, type CacheEntry } from '../tiers/cache-entry';
import { freshEntry } from '../tiers/entry-rules';
import { keysOf } from '../tiers/removed-keys';
import { assertGlob } from '../values/glob';
import { assertKey, assertKeys, expectKeyText } from '../values/validate-key';
import { checkPatch } from '../values/check-patch';
import { createEntry } from './create-entry';
import type { InvalidationCallback } from './invalidation-listeners';
import { bindInternals } from './namespace-internals';
import { keysAt, readMemoryFirst } from './memory-first';
import { NamespaceSignals } from './namespace-signals';

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
 * arguments and makes one call down: to the tier stack (`stack/`) or to loading (`loading/`).
 */
export class NamespaceCache<V = unknown> {
  readonly #signals: NamespaceSignals;
  readonly #stack: TierStack;
  readonly #loader: NamespaceLoader<V>;

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
    const stack = (this.#stack = new TierStack(settings.name, tiers, {
      fault: (operation, error, key) => signals.fault(operation, error, key),
      written: (key) => {
        loader.written(key);
        signals.written(key);
      },
      removing: (removal) => loader.supersede(removal),
      removed: (removed) => {
        loader.supersede({ keys: keysOf(removed) });
        signals.removed(removed);
      },
      cleared: (count, keys) => signals.cleared(count, keys),
      dropped: (keys) => {
        loader.supersede({ keys });
        signals.dropped(keys);
      },
    }));
    const loader = (this.#loader = new NamespaceLoader<V>(settings, stack, signals));
    bindInternals(this, {
      stack,
      tierRemoved: (key, reason) => {
        signals.tierRemoved(key, reason);
        stack.dropped(key);
      },
      fault: (operation, error, key) => signals.fault(operation, error, key),
      close: async () => {
        signals.close();
        await stack.close();
      },
    });
  }

  /** The namespace's name. */
  get name(): string {
    return this.settings.name;
  }

  /** The value under `key`, or undefined on a miss (`null` is a value). */
  get(key: string): Promise<V | undefined> {
    // Not async: a memory hit (the hot path) builds one settled promise and no async frame.
    try {
      const metrics = this.#signals.metrics;
      if (metrics) return Promise.resolve(this.#timedGet(key, metrics));
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
      assertKeys(keys);
      const { values, below } = readMemoryFirst<V>(this.#stack, this.#signals, keys);
      if (below.length === 0) return Promise.resolve(values);
      const wanted = below.length === keys.length ? keys : keysAt(keys, below);
      return Promise.resolve(
        this.#stack.readManyThen(wanted, (entries) => {
          const now = Date.now();
          for (let j = 0; j < below.length; j++) {
            const index = below[j];
            values[index] = this.#signals.found(keys[index], entries[j], now) as V | undefined;
          }
          return values;
        }),
      );
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
  async setMany(entries: ReadonlyArray<readonly [string, V, SetOptions?]>): Promise<void> {
    if (!Array.isArray(entries)) {
      throw new InvalidOptionError('setMany: expected an array of [key, value, options?] tuples');
    }
    const prepared = entries.map((tuple: unknown, i) => {
      if (!Array.isArray(tuple)) {
        throw new InvalidOptionError(
          `entries[${i}]: expected a [key, value, options?] tuple, got ${describe(tuple)}`,
        );
      }
      const [key, value, options] = tuple as [string, V, SetOptions?];
      assertKey(key, `entries[${i}][0]`);
      const parsed = parseSetOptions(options, `entries[${i}][2]`);
      const entry = createEntry(this.settings, value, parsed, `entries[${i}][1]`);
      this.#stack.admit(key, entry);
      return [key, entry] as const;
    });
    await this.#stack.writeMany(prepared);
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
  async increment(key: string, by = 1, options?: SetOptions): Promise<number> {
    assertKey(key);
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      throw new InvalidValueError(
        `increment("${key}"): by must be a finite number, got ${String(by)}`,
      );
    }
    // A new counter takes this entry's expiry and metadata.
    const template = createEntry(this.settings, 0, parseSetOptions(options));
    // -0 (from decrement(key, 0)) would start a counter that only memory keeps negative.
    return this.#stack.increment(key, by === 0 ? 0 : by, template);
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
  async getByIndex(index: string, value: string): Promise<V[]> {
    const keys = await this.keysByIndex(index, value);
    const entries = await this.#stack.query('getByIndex', (tier) => tier.getMany(keys), []);
    const now = Date.now();
    // A tier's read keeps an entry past its TTL for getOrSet's grace fallback: absent here.
    return entries
      .map((entry) => freshEntry(entry, now))
      .filter((entry) => entry !== undefined)
      .map((entry) => entry.value as V);
  }

  /** Keys of the fresh entries whose index `index` equals `value`. */
  async keysByIndex(index: string, value: string): Promise<string[]> {
    if (typeof index !== 'string' || index.length === 0 || typeof value !== 'string') {
      throw new InvalidOptionError(
        'keysByIndex(index, value): index must be a non-empty string and value a string',
      );
    }
    expectKeyText(index, 'keysByIndex(index, value): index');
    expectKeyText(value, 'keysByIndex(index, value): value');
    return this.#stack.query('keysByIndex', (tier) => tier.keysByIndex(index, value), []);
  }

  /** Deletes every entry carrying any of `tags`; returns how many. */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    const list = expectStringList(tags, 'tags');
    list.forEach((tag, i) => expectKeyText(tag, `tags[${i}]`));
    return (await this.#stack.deleteByTags(list)).held.length;
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

  /** `get` for the latency histograms: not async, so a hit costs no more promises than untimed. */
  #timedGet(key: string, metrics: NamespaceMetrics): V | undefined | Promise<V | undefined> {
    const started = metrics.readStart();
    const near = this.#stack.freshNear(key);
    if (near !== undefined) {
      metrics.memoryHit(started);
      return this.#signals.hit(key, near) as V;
    }
    assertKey(key);
    return this.#timedRead(key, metrics, metrics.leftMemory(started));
  }

  async #timedRead(
    key: string,
    metrics: NamespaceMetrics,
    started: number,
  ): Promise<V | undefined> {
    const value = await this.#stack.readThen(key, this.#foundOf);
    metrics.observe(this.#stack.kind, 'get', (performance.now() - started) / 1000);
    return value;
  }

  /** A read below memory, counted as a hit when fresh and a miss otherwise. */
  #found(key: string, entry: CacheEntry | undefined): V | undefined {
    return this.#signals.found(key, entry, Date.now()) as V | undefined;
  }

  /** `#found` as a read's outcome, made once (every get below memory passes it). */
  readonly #foundOf = (key: string, entry: CacheEntry | undefined): V | undefined =>
    this.#found(key, entry);
}
