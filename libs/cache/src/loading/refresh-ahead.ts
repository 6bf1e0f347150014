import type { NamespaceSignals } from '../namespace/namespace-signals';
import type { ParsedGetOrSetOptions } from '../options/call-options';
import type { NamespaceSettings } from '../options/resolved-options';
import type { TierStack } from '../stack/tier-stack';
import type { CacheEntry } from '../tiers/cache-entry';
import type { CacheLoader, LoaderCalls } from './loader-calls';
import type { SingleFlight } from './single-flight';

/**
 * Refresh-ahead of a namespace's `getOrSet`: a hit with less than `refreshAhead` of its TTL left
 * starts one background reload, as a flight of its key (so a write supersedes it, and callers
 * that miss meanwhile join it). Its failure is reported, never thrown.
 */
export class RefreshAhead<V> {
  constructor(
    private readonly settings: NamespaceSettings,
    private readonly stack: TierStack,
    private readonly signals: NamespaceSignals,
    private readonly flights: SingleFlight<V>,
    private readonly calls: LoaderCalls<V>,
  ) {}

  /** Starts the reload of `key` when its `entry` was just hit with little of its TTL left. */
  afterHit(
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
        async (isCurrent, run) => {
          const budget = this.stack.budget();
          // Read before the loader runs, so the ticket predates what the loader sees.
          const ticket = this.stack.tickets
            ? (await this.stack.readForLoad(key, budget)).ticket
            : undefined;
          return this.calls.load(key, run.around(loader), options, isCurrent, budget, ticket);
        },
        options.tags,
      )
      .catch((error: unknown) => this.signals.failed('refresh', error, key));
  }
}
