import { InvalidOptionError } from '../errors/cache.error';
import { isUserError } from '../errors/fault';
import { diagnostics } from '../metrics/diagnostics';
import type { NamespaceSignals } from '../namespace/namespace-signals';
import { createEntry } from '../namespace/create-entry';
import {
  parseGetOrSetOptions,
  type ParsedGetOrSetOptions,
  type ParsedSetOptions,
} from '../options/call-options';
import type { GetOrSetOptions } from '../options/cache-options.interface';
import type { NamespaceSettings } from '../options/resolved-options';
import type { Removal } from '../persistence/persistence-manager';
import type { FarBudget } from '../stack/far-budget';
import type { TierStack } from '../stack/tier-stack';
import { isStale, type CacheEntry } from '../tiers/cache-entry';
import type { LoadTicket } from '../tiers/cache-tier.interface';
import { assertKey, assertKeys } from '../values/validate-key';
import { compileGlob } from '../values/glob';
import { LoaderTimeoutError, withDeadlines } from './deadlines';
import { loadUnderLock } from './locked-load';
import { SingleFlight } from './single-flight';

/** A loader for `getOrSet`: computes the value of a missing key. */
export type CacheLoader<V> = () => V | Promise<V>;

/** What `getOrSetMany` calls with the missing keys. */
export type BatchLoader<V> = (missing: string[]) => Promise<Map<string, V> | Record<string, V>>;

/**
 * Loading over a namespace's stack: `getOrSet` (single-flight, lock, grace, deadlines),
 * `getOrSetMany` and refresh-ahead. A write or removal of a key while it loads supersedes the
 * load (`supersede`), so a slow loader never brings back data older than the write.
 */
export class NamespaceLoader<V> {
  private readonly flights = new SingleFlight<V>();
  /** Stale values (within grace) of keys being loaded, for loaders that fail or are slow. */
  private readonly staleOf = new Map<string, CacheEntry>();

  constructor(
    private readonly settings: NamespaceSettings,
    private readonly stack: TierStack,
    private readonly signals: NamespaceSignals,
  ) {}

  /** See `NamespaceCache.getOrSet`. */
  getOrSet(key: string, loader: CacheLoader<V>, options?: GetOrSetOptions): Promise<V> {
    // Not async: a memory hit (the hot path) builds one settled promise and no async frame.
    try {
      assertKey(key);
      const metrics = this.signals.metrics;
      const started = metrics ? metrics.readStart() : 0;
      const near = this.stack.freshNear(key);
      if (near === undefined) return this.loadOnMiss(key, loader, options);
      if (options?.refreshAhead !== undefined) {
        this.refreshAhead(key, near, loader, parseGetOrSetOptions(options));
      }
      // Misses are timed by the loader histogram; memory hits here.
      metrics?.memoryHit(started);
      return Promise.resolve(this.signals.hit(key, near) as V);
    } catch (error) {
      // A bad key or bad options: rejected, as from any other call (always a CacheError).
      const failure = error as Error;
      return Promise.reject(failure);
    }
  }

  /** `getOrSet` past memory: the shared tier, then the loader, one flight per key. */
  private async loadOnMiss(
    key: string,
    loader: CacheLoader<V>,
    options: GetOrSetOptions | undefined,
  ): Promise<V> {
    if (typeof loader !== 'function') {
      throw new InvalidOptionError(`getOrSet("${key}"): loader must be a function`);
    }
    const parsed = parseGetOrSetOptions(options);
    let flight = this.flights.current(key);
    if (flight) this.signals.miss(key);
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
      onStale: () => this.signals.counters.staleServes++,
      timeoutError: () =>
        new LoaderTimeoutError(this.settings.name, key, parsed.hardTimeout as number),
    });
  }

  /** See `NamespaceCache.getOrSetMany`. */
  async getOrSetMany(
    keys: readonly string[],
    loadMissing: BatchLoader<V>,
    parsed: ParsedSetOptions,
  ): Promise<Array<V | undefined>> {
    assertKeys(keys);
    // One budget for every shared-tier call of this batch: its read and its stores.
    const budget = this.stack.budget();
    const { values, tickets } = await this.readBatch(keys, budget);
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
          return this.store(key, loaded, parsed, isCurrent, budget, tickets.get(key));
        },
        parsed.tags,
      );
      loads.set(key, load);
    }
    const loaded = new Map<string, V | undefined>();
    await Promise.all([...loads].map(async ([key, load]) => loaded.set(key, await load)));
    // `null` is a value held, not a miss: only `undefined` takes the loaded one.
    return keys.map((key, i) => (values[i] !== undefined ? values[i] : loaded.get(key)));
  }

  /**
   * A batch's first read, counted like `getMany`: memory, then the rest in one read of the
   * shared tier that also takes their tickets, so a store undoes nothing any instance writes or
   * deletes while the batch loads. Memory hits are not loaded and need none.
   */
  private async readBatch(
    keys: readonly string[],
    budget: FarBudget | undefined,
  ): Promise<{ values: Array<V | undefined>; tickets: Map<string, LoadTicket> }> {
    const values = new Array<V | undefined>(keys.length);
    const tickets = new Map<string, LoadTicket>();
    const below: number[] = [];
    keys.forEach((key, i) => {
      const near = this.stack.freshNear(key);
      if (near !== undefined) values[i] = this.signals.hit(key, near) as V;
      else below.push(i);
    });
    if (below.length === 0) return { values, tickets };
    const reads = await this.stack.readManyForLoad(
      below.map((i) => keys[i]),
      budget,
    );
    const now = Date.now();
    below.forEach((index, j) => {
      const key = keys[index];
      const { entry, ticket } = reads[j];
      if (ticket !== undefined) tickets.set(key, ticket);
      values[index] =
        entry === undefined || isStale(entry, now)
          ? this.signals.miss(key)
          : (this.signals.hit(key, entry) as V);
    });
    return { values, tickets };
  }

  /** Loads in progress that `removal` (or a write of its keys) makes out of date store nothing. */
  supersede(removal: Removal): void {
    if ('keys' in removal) this.flights.supersedeAll(removal.keys);
    else if ('all' in removal) this.flights.supersedeAll();
    else if ('tags' in removal) {
      const { tags } = removal;
      this.flights.supersedeWhere(
        (_key, flightTags) => flightTags?.some((tag) => tags.includes(tag)) ?? false,
      );
    } else {
      const pattern = compileGlob(removal.glob);
      this.flights.supersedeWhere((key) => pattern.test(key));
    }
  }

  /** A write of `key` supersedes its load. */
  written(key: string): void {
    this.flights.supersede(key);
  }

  private async loadBatch(keys: string[], loadMissing: BatchLoader<V>): Promise<Map<string, V>> {
    this.signals.counters.loaderCalls++;
    try {
      const result = await loadMissing(keys);
      return result instanceof Map ? result : new Map(Object.entries(result ?? {}));
    } catch (error) {
      this.signals.counters.loaderFailures++;
      throw error;
    }
  }

  /**
   * The body of a getOrSet flight: read below memory; on a miss load, and fall back to the
   * stale value (within its grace period) when the loader fails.
   */
  private async resolve(
    key: string,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
  ): Promise<V> {
    // One budget for every shared-tier call of this load: read, lock, polls, write, unlock.
    const budget = this.stack.budget();
    // The ticket keeps the store from undoing what any instance writes or deletes meanwhile.
    const { entry: found, ticket } = await this.stack.readForLoad(key, budget);
    if (found !== undefined && !isStale(found, Date.now())) {
      // Without memory every hit comes here; the refresh starts once this flight has ended.
      if (options.refreshAhead !== undefined) {
        setImmediate(() => this.refreshAhead(key, found, loader, options));
      }
      return this.signals.hit(key, found) as V;
    }
    this.signals.miss(key);
    const stale = found ?? this.stack.readNear(key);
    if (stale !== undefined) this.staleOf.set(key, stale);
    try {
      return await (options.lock && this.stack.locks
        ? this.loadLocked(key, loader, options, isCurrent, budget, ticket)
        : this.load(key, loader, options, isCurrent, budget, ticket));
    } catch (error) {
      if (stale === undefined || isUserError(error)) throw error;
      this.signals.counters.staleServes++;
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
    budget?: FarBudget,
    ticket?: LoadTicket,
  ): Promise<V> {
    const { counters, metrics } = this.signals;
    counters.loaderCalls++;
    const traced = diagnostics.loader.hasSubscribers;
    const started = metrics || traced ? performance.now() : 0;
    let loaded: V;
    let failure: unknown;
    try {
      loaded = await loader();
    } catch (error) {
      counters.loaderFailures++;
      failure = error;
      throw error;
    } finally {
      const elapsed = metrics || traced ? performance.now() - started : 0;
      metrics?.loader(elapsed / 1000);
      if (traced) {
        diagnostics.loader.publish({
          namespace: this.settings.name,
          key,
          durationMs: elapsed,
          ...(failure !== undefined && { error: failure }),
        });
      }
    }
    if (loaded === undefined || options.unless?.(loaded as never)) return loaded;
    return this.store(key, loaded, options, isCurrent, budget, ticket);
  }

  /**
   * Stores a loaded value unless the load was superseded here or, with a ticket, the key changed
   * on any instance since the load began; returns the frozen copy.
   */
  private async store(
    key: string,
    loaded: V,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
    budget?: FarBudget,
    ticket?: LoadTicket,
  ): Promise<V> {
    const entry = createEntry(this.settings, loaded, options);
    if (isCurrent()) await this.stack.writeLoaded(key, entry, ticket, budget);
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
      .run(
        key,
        async (isCurrent) => {
          const budget = this.stack.budget();
          // Read before the loader runs, so the ticket predates what the loader sees.
          const ticket = this.stack.tickets
            ? (await this.stack.readForLoad(key, budget)).ticket
            : undefined;
          return this.load(key, loader, options, isCurrent, budget, ticket);
        },
        options.tags,
      )
      .catch((error: unknown) => this.signals.failed('refresh', error, key));
  }

  /** A load that takes the shared tier's lock first (see `loadUnderLock`). */
  private loadLocked(
    key: string,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
    budget: FarBudget | undefined,
    ticket: LoadTicket | undefined,
  ): Promise<V> {
    const { ttl, wait } = options.lock as { ttl: number; wait: number };
    return loadUnderLock<V>(this.stack.lockOn(key, ttl, budget), wait, () =>
      this.load(key, loader, options, isCurrent, budget, ticket),
    );
  }
}
