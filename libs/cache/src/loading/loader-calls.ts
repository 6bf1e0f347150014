import { InvalidValueError } from '../errors/cache.error';
import { markUnstoredLoad } from '../errors/unstored-load';
import { diagnostics } from '../metrics/diagnostics';
import { describe } from '../options/option-checks';
import type { NamespaceSignals } from '../namespace/namespace-signals';
import { createEntry } from '../namespace/create-entry';
import type { ParsedGetOrSetOptions } from '../options/call-options';
import type { NamespaceSettings } from '../options/resolved-options';
import type { FarBudget } from '../stack/far-budget';
import type { TierStack } from '../stack/tier-stack';
import type { CacheEntry } from '../tiers/cache-entry';
import type { LoadTicket } from '../tiers/cache-tier.interface';
import { loadUnderLock } from './locked-load';

/** A loader for `getOrSet`: computes the value of a missing key. */
export type CacheLoader<V> = () => V | Promise<V>;

/** What `getOrSetMany` calls with the missing keys. */
export type BatchLoader<V> = (missing: string[]) => Promise<Map<string, V> | Record<string, V>>;

/**
 * The calls of a namespace's loaders, for `NamespaceLoader`: each counted (`loaderCalls`,
 * `loaderFailures`), a single key's also timed and traced, and what a load returns stored
 * unless its load was superseded meanwhile. Which call runs when, and once per key, is
 * `NamespaceLoader`'s to decide.
 */
export class LoaderCalls<V> {
  constructor(
    private readonly settings: NamespaceSettings,
    private readonly stack: TierStack,
    private readonly signals: NamespaceSignals,
  ) {}

  /** Calls the loader and stores what it returns (unless `unless` says not to). */
  async load(
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
    try {
      if (loaded === undefined || options.unless?.(loaded as never)) return loaded;
      return await this.store(key, loaded, options, isCurrent, budget, ticket);
    } catch (error) {
      // The loader ran: whatever stopped its value here, every caller that shared the load can
      // still have it (`store` marked its own failures with the stored copy first).
      markUnstoredLoad(error, loaded);
      throw error;
    }
  }

  /**
   * Stores a loaded value unless the load was superseded here or, with a ticket, the key changed
   * on any instance since the load began; returns the frozen copy. A failure carries the value
   * (see `markUnstoredLoad`): the frozen copy once made, else the value as loaded.
   */
  async store(
    key: string,
    loaded: V,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
    budget?: FarBudget,
    ticket?: LoadTicket,
  ): Promise<V> {
    let entry: CacheEntry | undefined;
    try {
      entry = createEntry(this.settings, loaded, options);
      if (isCurrent()) await this.stack.writeLoaded(key, entry, ticket, budget);
      return entry.value as V;
    } catch (error) {
      // A value the cache cannot hold, or a backend that failed (strict): every caller that
      // shared the load can still have it.
      markUnstoredLoad(error, entry ? entry.value : loaded);
      throw error;
    }
  }

  /**
   * A load that takes the shared tier's lock first (see `loadUnderLock`); `waiting` is called
   * when it starts waiting for another instance's value.
   */
  loadLocked(
    key: string,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
    budget: FarBudget | undefined,
    ticket: LoadTicket | undefined,
    waiting?: () => void,
  ): Promise<V> {
    const { ttl, wait } = options.lock as { ttl: number; wait: number };
    return loadUnderLock<V>(
      this.stack.lockOn(key, ttl, budget),
      wait,
      () => this.load(key, loader, options, isCurrent, budget, ticket),
      waiting,
    );
  }

  /** Calls a batch loader with `keys`; what it returns, as a Map. */
  async loadBatch(keys: string[], loadMissing: BatchLoader<V>): Promise<Map<string, V>> {
    this.signals.counters.loaderCalls++;
    try {
      const result: unknown = await loadMissing(keys);
      if (result instanceof Map) return result as Map<string, V>;
      if (result === undefined || result === null) return new Map();
      // A record of any realm (and a class instance, as before) is an `[object Object]`; arrays,
      // typed arrays, boxed strings and Sets, read as records, would give keys '0', '1'...
      if (Object.prototype.toString.call(result) !== '[object Object]') {
        throw new InvalidValueError(
          `getOrSetMany: loadMissing returned ${describe(result)}, not a Map or a record of values by key`,
        );
      }
      return new Map(Object.entries(result) as Array<[string, V]>);
    } catch (error) {
      this.signals.counters.loaderFailures++;
      throw error;
    }
  }
}
