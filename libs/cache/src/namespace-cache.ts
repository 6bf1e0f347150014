import { InvalidOptionError, InvalidValueError, isUserError } from './errors';
import { NamespaceStorage, UNAVAILABLE, type NamespaceTiers } from './namespace-storage';
import { PersistenceLevel } from './options/persistence-level';
import type { NamespacePersistence, Removal } from './persistence/persistence-manager';
import type { NamespaceMetrics } from './metrics/cache-metrics';
import { diagnostics } from './metrics/diagnostics';
import { NamespaceEvents, type NamespaceCacheEvent, type NamespaceCacheListener } from './events';
import { InvalidationListeners, type InvalidationCallback } from './invalidation-listeners';
import type { GetOrSetOptions, SetOptions } from './options/cache-options.interface';
import { parseTtl } from './options/duration';
import { describe, expectStringList } from './options/option-checks';
import type { NamespaceSettings } from './options/resolved-options';
import {
  parseGetOrSetOptions,
  parseSetOptions,
  type ParsedGetOrSetOptions,
  type ParsedSetOptions,
} from './options/call-options';
import { SingleFlight } from './single-flight';
import { NamespaceCounters, type NamespaceStats } from './stats';
import { isStale, remainingTtl, type CacheEntry } from './tiers/cache-entry';
import { LoaderTimeoutError, loadUnderLock, withDeadlines } from './loading';
import type { CacheTier, RemovalReason } from './tiers/cache-tier.interface';
import {
  assertGlob,
  assertKey,
  assertKeys,
  checkPatch,
  compileGlob,
  expectStorableText,
  snapshotValue,
} from './values';

/** A loader for `getOrSet`: computes the value of a missing key. */
export type CacheLoader<V> = () => V | Promise<V>;

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
 * Obtain one with `@InjectCache(name)` or `CacheService.namespace(name)`.
 */
export class NamespaceCache<V = unknown> {
  private readonly counters = new NamespaceCounters();
  private readonly events = new NamespaceEvents();
  private readonly flights = new SingleFlight<V>();
  private readonly invalidations = new InvalidationListeners();
  private readonly storage: NamespaceStorage;
  private readonly persistence: NamespacePersistence | undefined;
  private readonly metrics: NamespaceMetrics | undefined;
  /** Stale values (within grace) of keys being loaded, for loaders that fail or are slow. */
  private readonly staleOf = new Map<string, CacheEntry>();

  constructor(
    /** The namespace's settings after defaults. */
    readonly settings: NamespaceSettings,
    tiers: NamespaceTiers,
  ) {
    if (!tiers.near && !tiers.far) {
      throw new InvalidOptionError(`namespace "${settings.name}" has no tier`);
    }
    this.persistence = tiers.persistence;
    this.metrics = tiers.metrics;
    this.storage = new NamespaceStorage(settings.name, tiers, (operation, error, key) =>
      this.fault(operation, error, key),
    );
  }

  /** The namespace's name. */
  get name(): string {
    return this.settings.name;
  }

  /** The value under `key`, or undefined on a miss (`null` is a value). */
  async get(key: string): Promise<V | undefined> {
    assertKey(key);
    const metrics = this.metrics;
    const started = metrics ? performance.now() : 0;
    const near = this.storage.freshNear(key);
    if (near !== undefined) {
      metrics?.observe('memory', 'get', (performance.now() - started) / 1000);
      return this.hit(key, near);
    }
    if (!metrics) return this.lookup(key);
    const value = await this.lookup(key);
    metrics.observe(
      this.storage.far?.kind ?? 'memory',
      'get',
      (performance.now() - started) / 1000,
    );
    return value;
  }

  /** Stores `value` under `key`. `undefined` or an unserializable value throws; nothing is stored. */
  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    assertKey(key);
    const entry = this.createEntry(value, parseSetOptions(options));
    const started = this.metrics ? performance.now() : 0;
    await this.storage.write(key, entry);
    if (this.metrics) {
      this.metrics.observe(
        this.storage.far?.kind ?? 'memory',
        'set',
        (performance.now() - started) / 1000,
      );
    }
    this.noteWrite(key);
    await this.persist(key, entry);
  }

  /**
   * The value under `key`; on a miss, calls `loader` and stores its result. Concurrent callers
   * of one missing key share one loader call; a loader that throws rejects every waiter and
   * caches nothing. A loader that returns `undefined` caches nothing and returns `undefined`.
   * With `lock`, one loader runs across all instances sharing the Redis tier. With `grace`,
   * `timeout`, `hardTimeout` and `refreshAhead`, a slow or failing loader is served around.
   */
  async getOrSet(key: string, loader: CacheLoader<V>, options?: GetOrSetOptions): Promise<V> {
    assertKey(key);
    const started = this.metrics ? performance.now() : 0;
    const near = this.storage.freshNear(key);
    if (near !== undefined) {
      if (options?.refreshAhead !== undefined) {
        this.refreshAhead(key, near, loader, parseGetOrSetOptions(options));
      }
      // Misses are timed by the loader histogram; memory hits here.
      this.metrics?.observe('memory', 'get', (performance.now() - started) / 1000);
      return this.hit(key, near);
    }
    if (typeof loader !== 'function') {
      throw new InvalidOptionError(`getOrSet("${key}"): loader must be a function`);
    }
    const parsed = parseGetOrSetOptions(options);
    let flight = this.flights.current(key);
    if (flight) this.miss(key);
    // The flight starts before the shared-tier read, so a write during that read supersedes it.
    flight ??= this.flights.run(
      key,
      (isCurrent) => this.resolve(key, loader, parsed, isCurrent),
      parsed.tags,
    );
    if (parsed.timeout === undefined && parsed.hardTimeout === undefined) return flight;
    return withDeadlines(flight, {
      timeout: parsed.timeout,
      hardTimeout: parsed.hardTimeout,
      stale: () => this.staleOf.get(key) as { value: V } | undefined,
      onStale: () => this.counters.staleServes++,
      timeoutError: () => new LoaderTimeoutError(this.name, key, parsed.hardTimeout as number),
    });
  }

  /**
   * Loads many keys at once: the ones held are read, the missing ones go to `loadMissing` in
   * one batch (it returns a `Map` or a record of key to value; keys it leaves out stay missing).
   * Keys already being loaded by a concurrent call are joined, not loaded again.
   */
  async getOrSetMany(
    keys: readonly string[],
    loadMissing: (missing: string[]) => Promise<Map<string, V> | Record<string, V>>,
    options?: SetOptions,
  ): Promise<Array<V | undefined>> {
    if (typeof loadMissing !== 'function') {
      throw new InvalidOptionError(
        'getOrSetMany(keys, loadMissing): loadMissing must be a function',
      );
    }
    const parsed = parseSetOptions(options);
    const values = await this.getMany(keys);
    const missing = [...new Set(keys.filter((_key, i) => values[i] === undefined))];
    if (missing.length === 0) return values;
    const loads = new Map<string, Promise<V>>();
    const unclaimed = missing.filter((key) => {
      const joined = this.flights.current(key);
      if (joined) loads.set(key, joined);
      return !joined;
    });
    let batch: Promise<Map<string, V>> | undefined;
    const loadBatch = (): Promise<Map<string, V>> =>
      (batch ??= this.loadBatch(unclaimed, loadMissing));
    for (const key of unclaimed) {
      const load = this.flights.run(
        key,
        async (isCurrent) => {
          const loaded = (await loadBatch()).get(key);
          if (loaded === undefined) return loaded as V;
          return this.store(key, loaded, parsed, isCurrent);
        },
        parsed.tags,
      );
      loads.set(key, load);
    }
    const loaded = new Map<string, V | undefined>();
    await Promise.all([...loads].map(async ([key, load]) => loaded.set(key, await load)));
    return keys.map((key, i) => values[i] ?? loaded.get(key));
  }

  private async loadBatch(
    keys: string[],
    loadMissing: (missing: string[]) => Promise<Map<string, V> | Record<string, V>>,
  ): Promise<Map<string, V>> {
    this.counters.loaderCalls++;
    try {
      const result = await loadMissing(keys);
      return result instanceof Map ? result : new Map(Object.entries(result ?? {}));
    } catch (error) {
      this.counters.loaderFailures++;
      throw error;
    }
  }

  /**
   * The body of a getOrSet flight: read the shared tier; on a miss load, and fall back to the
   * stale value (within its grace period) when the loader fails.
   */
  private async resolve(
    key: string,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
  ): Promise<V> {
    const version = this.storage.readVersion();
    const found = this.storage.far
      ? await this.storage.readFar('get', key)
      : this.storage.readNear(key);
    if (found !== undefined && !isStale(found, Date.now())) return this.fill(key, found, version);
    this.miss(key);
    const stale = found ?? this.storage.readNear(key);
    if (stale !== undefined) this.staleOf.set(key, stale);
    try {
      return await (options.lock && this.storage.far?.acquireLock
        ? this.loadLocked(key, loader, options, isCurrent)
        : this.load(key, loader, options, isCurrent));
    } catch (error) {
      if (stale === undefined || isUserError(error)) throw error;
      this.counters.staleServes++;
      return stale.value as V;
    } finally {
      if (this.staleOf.get(key) === stale) this.staleOf.delete(key);
    }
  }

  /** Calls the loader and stores what it returns (unless `unless` says not to). */
  private async load(
    key: string,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
  ): Promise<V> {
    this.counters.loaderCalls++;
    const traced = diagnostics.loader.hasSubscribers;
    const started = this.metrics || traced ? performance.now() : 0;
    let loaded: V;
    let failure: unknown;
    try {
      loaded = await loader();
    } catch (error) {
      this.counters.loaderFailures++;
      failure = error;
      throw error;
    } finally {
      const elapsed = this.metrics || traced ? performance.now() - started : 0;
      this.metrics?.loader(elapsed / 1000);
      if (traced) {
        diagnostics.loader.publish({
          namespace: this.name,
          key,
          durationMs: elapsed,
          ...(failure !== undefined && { error: failure }),
        });
      }
    }
    if (loaded === undefined || options.unless?.(loaded as never)) return loaded;
    return this.store(key, loaded, options, isCurrent);
  }

  /** Stores a loaded value unless the load was superseded; returns the frozen copy. */
  private async store(
    key: string,
    loaded: V,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
  ): Promise<V> {
    const entry = this.createEntry(loaded, options);
    if (isCurrent()) {
      await this.storage.write(key, entry);
      this.noteWrite(key);
      await this.persist(key, entry);
    }
    return entry.value as V;
  }

  /** A hit with little of its TTL left starts one background reload. */
  private refreshAhead(
    key: string,
    entry: CacheEntry,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
  ): void {
    const ttl = options.ttl ?? this.settings.ttl;
    const share = options.refreshAhead as number;
    if (entry.expiresAt === Infinity || ttl === Infinity || this.flights.current(key)) return;
    if (entry.expiresAt - Date.now() > ttl * share) return;
    this.flights
      .run(key, (isCurrent) => this.load(key, loader, options, isCurrent), options.tags)
      .catch((error: unknown) => this.emitError('refresh', error, key));
  }

  /** A load that takes the shared tier's lock first (see `loadUnderLock`). */
  private loadLocked(
    key: string,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
  ): Promise<V> {
    const far = this.storage.far as Required<CacheTier>;
    const { ttl, wait } = options.lock as { ttl: number; wait: number };
    const read = (): Promise<CacheEntry | undefined> =>
      this.storage.onFar(
        'get',
        key,
        () => far.get(key),
        () => undefined,
      );
    return loadUnderLock<V>(
      {
        acquire: () =>
          this.storage.onFar(
            'lock',
            key,
            () => far.acquireLock(key, ttl),
            () => null,
          ),
        release: (token) =>
          this.storage.onFar(
            'unlock',
            key,
            () => far.releaseLock(key, token),
            () => undefined,
          ),
        read,
      },
      wait,
      () => this.load(key, loader, options, isCurrent),
    );
  }

  /** Deletes `key`; true when it held a value. */
  async delete(key: string): Promise<boolean> {
    assertKey(key);
    return (await this.deleteKeys([key])).length > 0;
  }

  /** True when `key` holds a live value. Counts neither a hit nor a miss. */
  async has(key: string): Promise<boolean> {
    assertKey(key);
    return (await this.storage.peek(key)) !== undefined;
  }

  /** Deletes every entry of this namespace (and of no other); returns how many there were. */
  async clear(): Promise<number> {
    this.flights.supersedeAll();
    const count = await this.storage.invalidate(
      'clear',
      undefined,
      () => this.storage.near?.clear() ?? 0,
      (far) => far.clear(),
      (channel) => channel.clear(),
    );
    this.counters.deletes += count;
    await this.persistence?.removed({ all: true });
    return count;
  }

  /** Values of `keys`, in order; undefined where missing. */
  async getMany(keys: readonly string[]): Promise<Array<V | undefined>> {
    assertKeys(keys);
    const values = new Array<V | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const near = this.storage.freshNear(key);
      if (near !== undefined) values[i] = this.hit(key, near);
      else missing.push(i);
    });
    if (missing.length === 0) return values;
    const version = this.storage.readVersion();
    const missingKeys = missing.map((i) => keys[i]);
    const far = this.storage.far
      ? await this.storage.onFar(
          'getMany',
          undefined,
          (tier) => tier.getMany(missingKeys),
          () => missingKeys.map((key) => this.storage.lastResort(key)),
        )
      : [];
    const now = Date.now();
    missing.forEach((index, j) => {
      const entry = far[j];
      values[index] =
        entry === undefined || isStale(entry, now)
          ? this.miss(keys[index])
          : this.fill(keys[index], entry, version);
    });
    return values;
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
      const entry = this.createEntry(
        value,
        parseSetOptions(options, `entries[${i}][2]`),
        `entries[${i}][1]`,
      );
      if (!this.storage.far && this.storage.near && !this.storage.near.fits(key, entry))
        this.storage.near.set(key, entry); // throws, naming it
      return [key, entry] as const;
    });
    await Promise.all(prepared.map(([key, entry]) => this.storage.write(key, entry)));
    for (const [key] of prepared) this.noteWrite(key);
    for (const [key, entry] of prepared) await this.persist(key, entry);
  }

  /**
   * Shallow-merges `patch` into the object under `key`, keeping its TTL, tags and indexes.
   * False when the key is missing. Keys `__proto__`, `constructor` and `prototype` are refused.
   */
  async update(key: string, patch: Partial<V>): Promise<boolean> {
    assertKey(key);
    const limit = this.settings.maxValueBytes;
    const checked = checkPatch(patch, limit);
    const entry = await this.storage.atomically(
      'update',
      key,
      (tier) => tier.update(key, checked, limit),
      undefined,
    );
    if (entry === undefined) return false;
    this.noteWrite(key);
    await this.persist(key, entry);
    return true;
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
    const template = this.createEntry(0, parseSetOptions(options));
    // -0 (from decrement(key, 0)) would start a counter that only memory keeps negative.
    const step = by === 0 ? 0 : by;
    const value = await this.storage.atomically(
      'increment',
      key,
      (tier) => tier.increment(key, step, template),
      UNAVAILABLE,
    );
    this.noteWrite(key);
    if (template.persistence !== PersistenceLevel.MEMORY_ONLY) await this.persistCurrent(key);
    return value;
  }

  /** Subtracts `by` from the number under `key` atomically; see `increment`. */
  decrement(key: string, by = 1, options?: SetOptions): Promise<number> {
    return this.increment(key, typeof by === 'number' ? -by : by, options);
  }

  /** Stores `value` only if `key` holds nothing (NX); true when stored. */
  async setIfAbsent(key: string, value: V, options?: SetOptions): Promise<boolean> {
    assertKey(key);
    const entry = this.createEntry(value, parseSetOptions(options));
    const stored = await this.storage.atomically(
      'setIfAbsent',
      key,
      (tier) => tier.setIfAbsent(key, entry),
      false,
    );
    if (!stored) return false;
    this.noteWrite(key);
    await this.persist(key, entry);
    return true;
  }

  /** Remaining time to live of `key` in ms (`Infinity` = no expiry), or undefined when missing. */
  async getTtl(key: string): Promise<number | undefined> {
    assertKey(key);
    const entry = await this.storage.peek(key);
    return entry === undefined ? undefined : remainingTtl(entry, Date.now());
  }

  /** Gives `key` a new time to live from now; false when it is missing. */
  async expire(key: string, ttl: SetOptions['ttl']): Promise<boolean> {
    assertKey(key);
    const ms = parseTtl(ttl, 'ttl');
    const expiresAt = ms === Infinity ? Infinity : Date.now() + ms;
    const changed = await this.storage.atomically(
      'expire',
      key,
      (tier) => tier.expire(key, expiresAt),
      false,
    );
    if (changed) {
      this.storage.channel?.keys([key]);
      await this.persistCurrent(key);
    }
    return changed;
  }

  /** Values of the live entries whose index `index` equals `value`. */
  async getByIndex(index: string, value: string): Promise<V[]> {
    const keys = await this.keysByIndex(index, value);
    const entries = await this.storage.read('getByIndex', (tier) => tier.getMany(keys), []);
    return entries.filter((entry) => entry !== undefined).map((entry) => entry.value as V);
  }

  /** Keys of the live entries whose index `index` equals `value`. */
  async keysByIndex(index: string, value: string): Promise<string[]> {
    if (typeof index !== 'string' || index.length === 0 || typeof value !== 'string') {
      throw new InvalidOptionError(
        'keysByIndex(index, value): index must be a non-empty string and value a string',
      );
    }
    expectStorableText(index, 'keysByIndex(index, value): index');
    expectStorableText(value, 'keysByIndex(index, value): value');
    return this.storage.read('keysByIndex', (tier) => tier.keysByIndex(index, value), []);
  }

  /** Deletes every entry carrying any of `tags`; returns how many. */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    const list = expectStringList(tags, 'tags');
    list.forEach((tag, i) => expectStorableText(tag, `tags[${i}]`));
    this.flights.supersedeWhere(
      (_key, flightTags) => flightTags?.some((tag) => list.includes(tag)) ?? false,
    );
    const keys = await this.storage.invalidate(
      'invalidateTags',
      undefined,
      () => this.storage.near?.deleteByTags(list) ?? [],
      (far) => far.deleteByTags(list),
      (channel) => channel.tags(list),
    );
    this.afterDelete(keys);
    await this.persistence?.removed(this.tableRemoval(keys, { tags: list }));
    return keys.length;
  }

  /**
   * Deletes every entry whose key matches `glob` (`*` any run, `?` one character, `\` escapes);
   * the glob applies to this namespace's keys only. Returns how many.
   */
  async invalidatePattern(glob: string): Promise<number> {
    assertGlob(glob, 'invalidatePattern(glob)');
    const pattern = compileGlob(glob);
    this.flights.supersedeWhere((key) => pattern.test(key));
    const keys = await this.storage.invalidate(
      'invalidatePattern',
      undefined,
      () => this.storage.near?.deleteMatching(glob) ?? [],
      (far) => far.deleteMatching(glob),
      (channel) => channel.pattern(glob),
    );
    this.afterDelete(keys);
    await this.persistence?.removed(this.tableRemoval(keys, { glob }));
    return keys.length;
  }

  /**
   * Calls `callback(key)` whenever a key matching `glob` is deleted or invalidated here (by
   * `delete`, `invalidateTags` or `invalidatePattern`). Returns the function that unsubscribes.
   */
  onInvalidate(glob: string, callback: InvalidationCallback): () => void {
    return this.invalidations.add(glob, callback);
  }

  /** Counters since start plus what memory holds now. */
  stats(): NamespaceStats {
    const stats = this.counters.snapshot(this.storage.usage());
    return this.metrics ? { ...stats, latency: this.metrics.totals() } : stats;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends NamespaceCacheEvent>(event: E, listener: NamespaceCacheListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /** Called by the tiers when they drop an entry on their own. @internal */
  tierRemoved(key: string, reason: RemovalReason): void {
    if (reason === 'evict') this.counters.evictions++;
    else this.counters.expirations++;
    if (this.events.listens(reason)) this.events.emit(reason, { namespace: this.name, key });
  }

  /** Emits an `error` event for a failure that is not a backend fault (a background reload). */
  private emitError(operation: string, error: unknown, key?: string): void {
    if (!this.events.listens('error')) return;
    const cause = error instanceof Error ? error : new Error(String(error));
    this.events.emit('error', {
      namespace: this.name,
      operation,
      error: cause,
      ...(key !== undefined && { key }),
    });
  }

  /** Counts and emits a fault the cache absorbed. @internal */
  fault(operation: string, error: Error, key?: string): void {
    this.counters.errors++;
    if (this.events.listens('error')) {
      this.events.emit('error', {
        namespace: this.name,
        operation,
        error,
        ...(key !== undefined && { key }),
      });
    }
  }

  /**
   * Puts a persisted entry back at start, without counting, announcing or persisting it again,
   * and never over a value the tiers already hold: that one is newer (another instance may have
   * written it since the row was). @internal
   */
  async restore(key: string, entry: CacheEntry): Promise<void> {
    if (this.storage.far) {
      await this.storage.onFar(
        'restore',
        key,
        (far) => far.setIfAbsent(key, entry),
        () => false,
      );
    } else if (!this.storage.near?.holds(key)) {
      this.storage.storeNear(key, entry);
    }
  }

  /** Releases tiers and listeners. @internal */
  async close(): Promise<void> {
    this.events.removeAll();
    this.invalidations.clear();
    await this.storage.far?.close();
    this.storage.near?.close();
  }

  private hit(key: string, entry: CacheEntry): V {
    this.counters.hits++;
    if (this.events.listens('hit')) this.events.emit('hit', { namespace: this.name, key });
    return entry.value as V;
  }

  private miss(key: string): undefined {
    this.counters.misses++;
    if (this.events.listens('miss')) this.events.emit('miss', { namespace: this.name, key });
    return undefined;
  }

  /** The far-tier read behind a memory miss. */
  private async lookup(key: string): Promise<V | undefined> {
    if (!this.storage.far) return this.miss(key);
    const version = this.storage.readVersion();
    const entry = await this.storage.readFar('get', key);
    if (entry === undefined || isStale(entry, Date.now())) return this.miss(key);
    return this.fill(key, entry, version);
  }

  /** A hit in the shared tier: counted, and copied into memory when that is safe. */
  private fill(key: string, entry: CacheEntry, version: number): V {
    this.storage.fill(key, entry, version);
    return this.hit(key, entry);
  }

  private async deleteKeys(keys: readonly string[]): Promise<string[]> {
    this.flights.supersedeAll(keys);
    const deleted = await this.storage.invalidate(
      'delete',
      keys.length === 1 ? keys[0] : undefined,
      () => this.storage.near?.delete(keys) ?? [],
      (far) => far.delete(keys),
      (channel) => channel.keys(keys),
    );
    this.afterDelete(deleted);
    await this.persistence?.removed({ keys });
    return deleted;
  }

  /**
   * What an invalidation removes from the table. A shared tier never evicts, so the keys it
   * deleted are exactly the rows to drop (and a row written since, with the same tag, stays).
   * Memory alone may have evicted entries whose rows remain: those go by tag or glob.
   */
  private tableRemoval(keys: readonly string[], byRule: Removal): Removal {
    return this.storage.far ? { keys } : byRule;
  }

  /** Hands a written entry to persistence (ON_CHANGE: written before this resolves). */
  private async persist(key: string, entry: CacheEntry): Promise<void> {
    if (this.persistence && entry.persistence !== PersistenceLevel.MEMORY_ONLY) {
      await this.persistence.written(key, entry);
    }
  }

  /** Persists the entry an atomic operation left (read back from the deciding tier). */
  private async persistCurrent(key: string): Promise<void> {
    if (!this.persistence) return;
    const entry = await this.storage.peek(key);
    if (entry !== undefined) await this.persist(key, entry);
  }

  private noteWrite(key: string): void {
    this.counters.sets++;
    this.flights.supersede(key);
    if (this.events.listens('set')) this.events.emit('set', { namespace: this.name, key });
  }

  private afterDelete(keys: readonly string[]): void {
    this.counters.deletes += keys.length;
    this.flights.supersedeAll(keys);
    const announce = this.events.listens('delete');
    for (const key of keys) {
      if (announce) this.events.emit('delete', { namespace: this.name, key });
      this.invalidations.notify(key);
    }
  }

  private createEntry(value: unknown, options: ParsedSetOptions, label = 'value'): CacheEntry {
    const snapshot = snapshotValue(value, label, this.settings.maxValueBytes);
    const ttl = options.ttl ?? this.settings.ttl;
    const expiresAt = ttl === Infinity ? Infinity : Date.now() + ttl;
    const grace = (options as ParsedGetOrSetOptions).grace ?? this.settings.grace;
    // One literal with every field, so all entries share one shape (set is a hot path).
    return {
      value: snapshot.value,
      size: snapshot.size,
      expiresAt,
      graceUntil: grace > 0 && expiresAt !== Infinity ? expiresAt + grace : undefined,
      persistence: options.persistence ?? this.settings.persistence,
      tags: options.tags && options.tags.length > 0 ? options.tags : undefined,
      indexes: options.indexes,
    };
  }
}
