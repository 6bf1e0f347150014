import { InvalidOptionError } from '../errors/cache.error';
import { isUserError } from '../errors/fault';
import type { NamespaceSignals } from '../namespace/namespace-signals';
import {
  parseGetOrSetOptions,
  type ParsedGetOrSetOptions,
  type ParsedSetOptions,
} from '../options/call-options';
import type { GetOrSetOptions } from '../options/call-options.interface';
import type { NamespaceSettings } from '../options/resolved-options';
import type { Removal } from '../persistence/persistence-manager';
import { coverage } from '../persistence/removal';
import type { TierStack } from '../stack/tier-stack';
import { isExpired, isStale, type CacheEntry } from '../tiers/cache-entry';
import { assertKey } from '../values/validate-key';
import { compileGlob } from '../values/glob';
import { LoaderTimeoutError, withDeadlines } from './deadlines';
import { LoaderCalls, type BatchLoader, type CacheLoader } from './loader-calls';
import type { LoaderRun } from './loader-run';
import { ManyLoader } from './many-loader';
import { RefreshAhead } from './refresh-ahead';
import { SingleFlight } from './single-flight';
import { quoted } from '../logging/log-text';

export type { BatchLoader, CacheLoader } from './loader-calls';

/**
 * Loading over a namespace's stack: `getOrSet` (single-flight, lock, grace, deadlines), with
 * `getOrSetMany` (`ManyLoader`) and refresh-ahead (`RefreshAhead`) on the same flights. A write
 * or removal of a key while it loads supersedes the load (`supersede`), so a slow loader never
 * brings back data older than the write. The loaders themselves are called, and what they
 * return stored, through `LoaderCalls`.
 */
export class NamespaceLoader<V> {
  private readonly flights = new SingleFlight<V>();
  private readonly calls: LoaderCalls<V>;
  private readonly many: ManyLoader<V>;
  private readonly refresh: RefreshAhead<V>;
  /** Stale values (within grace) of keys being loaded, for loaders that fail or are slow. */
  private readonly staleOf = new Map<string, CacheEntry>();

  constructor(
    private readonly settings: NamespaceSettings,
    private readonly stack: TierStack,
    private readonly signals: NamespaceSignals,
  ) {
    this.calls = new LoaderCalls(settings, stack, signals);
    this.many = new ManyLoader(stack, signals, this.flights, this.calls);
    this.refresh = new RefreshAhead(settings, stack, signals, this.flights, this.calls);
  }

  /** See `NamespaceCache.getOrSet`. */
  getOrSet(key: string, loader: CacheLoader<V>, options?: GetOrSetOptions): Promise<V> {
    // Not async: a memory hit (the hot path) builds one settled promise and no async frame.
    try {
      const metrics = this.signals.metrics;
      const started = metrics ? metrics.readStart() : 0;
      const near = this.stack.freshNear(key);
      if (near === undefined) {
        // Checked past memory, as `NamespaceCache.get` does: memory holds no key that fails it.
        assertKey(key);
        return this.loadOnMiss(key, loader, options);
      }
      if (options?.refreshAhead !== undefined) {
        this.refresh.afterHit(key, near, loader, parseGetOrSetOptions(options));
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
      throw new InvalidOptionError(`getOrSet(${quoted(key)}): loader must be a function`);
    }
    const parsed = parseGetOrSetOptions(options);
    let flight = this.flights.current(key);
    if (flight) this.signals.miss(key);
    // The flight starts before the shared-tier read, so a write during that read supersedes it.
    flight ??= this.flights.run(
      key,
      (isCurrent, run) => this.resolve(key, loader, parsed, isCurrent, run),
      parsed.tags,
    );
    if (parsed.timeout === undefined && parsed.hardTimeout === undefined) return flight;
    return withDeadlines(flight, this.flights.runOf(flight), {
      timeout: parsed.timeout,
      hardTimeout: parsed.hardTimeout,
      stale: () => withinGrace(this.staleOf.get(key)) as { value: V } | undefined,
      onStale: () => this.signals.counters.staleServes++,
      timeoutError: () =>
        new LoaderTimeoutError(this.settings.name, key, parsed.hardTimeout as number),
    });
  }

  /** See `NamespaceCache.getOrSetMany`. */
  getOrSetMany(
    keys: readonly string[],
    loadMissing: BatchLoader<V>,
    parsed: ParsedSetOptions,
  ): Promise<Array<V | undefined>> {
    return this.many.getOrSetMany(keys, loadMissing, parsed);
  }

  /** Loads in progress that `removal` (or a write of its keys) makes out of date store nothing. */
  supersede(removal: Removal): void {
    if ('keys' in removal) this.flights.supersedeAll(removal.keys);
    else if ('all' in removal) this.flights.supersedeAll();
    else if ('tags' in removal) {
      // A set: searched for every tag of every load in flight, a list would cost their product.
      const tags = new Set(removal.tags);
      this.flights.supersedeWhere(
        (_key, flightTags) => flightTags?.some((tag) => tags.has(tag)) ?? false,
      );
    } else {
      const pattern = compileGlob(removal.glob);
      this.flights.supersedeWhere((key) => pattern.test(key));
    }
    // What a removal took is no fallback for the callers still waiting on their timeouts.
    if (this.staleOf.size === 0) return;
    const covers = coverage(removal);
    for (const [key, entry] of this.staleOf) {
      if (covers(key, entry)) this.staleOf.delete(key);
    }
  }

  /** A write of `key` supersedes its load. */
  written(key: string): void {
    this.flights.supersede(key);
  }

  /**
   * The body of a getOrSet flight: read below memory; on a miss load (marking `run` while the
   * loader runs, or a lock holder is waited for), and fall back to the stale value (within its
   * grace period) when the loader fails; not when the loader ran and its store failed.
   */
  private async resolve(
    key: string,
    loader: CacheLoader<V>,
    options: ParsedGetOrSetOptions,
    isCurrent: () => boolean,
    run: LoaderRun,
  ): Promise<V> {
    // One budget for every shared-tier call of this load: read, lock, polls, write, unlock.
    const budget = this.stack.budget();
    // The ticket keeps the store from undoing what any instance writes or deletes meanwhile.
    const { entry: found, ticket } = await this.stack.readForLoad(key, budget);
    if (found !== undefined && !isStale(found, Date.now())) {
      // Without memory every hit comes here; the refresh starts once this flight has ended.
      if (options.refreshAhead !== undefined) {
        setImmediate(() => this.refresh.afterHit(key, found, loader, options));
      }
      return this.signals.hit(key, found) as V;
    }
    this.signals.miss(key);
    const stale = found ?? this.stack.readNear(key);
    if (stale !== undefined) this.staleOf.set(key, stale);
    try {
      const running = run.around(loader);
      return await (options.lock && this.stack.locks
        ? this.calls.loadLocked(key, running, options, isCurrent, budget, ticket, () => run.start())
        : this.calls.load(key, running, options, isCurrent, budget, ticket));
    } catch (error) {
      // Grace covers a loader that fails, not a store that failed after it answered (strict
      // mode): that load has a newer value than the stale one, and its error carries it.
      if (withinGrace(stale) === undefined || isUserError(error) || run.answered) throw error;
      // The stale value is read again: a removal made while the loader ran (here or on another
      // instance) leaves nothing to fall back on, and a write made meanwhile is newer than it.
      const served = withinGrace(await this.stack.current(key, budget));
      if (served === undefined) throw error;
      if (isStale(served, Date.now())) this.signals.counters.staleServes++;
      return served.value as V;
    } finally {
      if (this.staleOf.get(key) === stale) this.staleOf.delete(key);
    }
  }
}

/** `entry` while its grace period lasts: one found at a load's start may end while it runs. */
function withinGrace(entry: CacheEntry | undefined): CacheEntry | undefined {
  return entry !== undefined && !isExpired(entry, Date.now()) ? entry : undefined;
}
