import type { NamespaceSignals } from '../namespace/namespace-signals';
import type { ParsedSetOptions } from '../options/call-options';
import type { TierStack } from '../stack/tier-stack';
import { assertKeys } from '../values/validate-key';
import { readBatch } from './batch-read';
import type { BatchLoader, LoaderCalls } from './loader-calls';
import type { SingleFlight } from './single-flight';

/**
 * `getOrSetMany` over a namespace's stack: one read of the keys below memory, then one call of
 * the batch loader for the missing keys no flight is loading yet. Each of those keys loads as a
 * flight of its own, sharing the flights of `getOrSet` (a `getOrSet` of the key joins it, a write
 * supersedes it); keys already in flight join theirs.
 */
export class ManyLoader<V> {
  constructor(
    private readonly stack: TierStack,
    private readonly signals: NamespaceSignals,
    private readonly flights: SingleFlight<V>,
    private readonly calls: LoaderCalls<V>,
  ) {}

  /** See `NamespaceCache.getOrSetMany`. */
  async getOrSetMany(
    keys: readonly string[],
    loadMissing: BatchLoader<V>,
    parsed: ParsedSetOptions,
  ): Promise<Array<V | undefined>> {
    assertKeys(keys);
    // One budget for every shared-tier call of this batch: its read and its stores.
    const budget = this.stack.budget();
    const { values, tickets } = await readBatch<V>(this.stack, this.signals, keys, budget);
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
      (batch ??= this.calls.loadBatch(unclaimed, loadMissing));
    for (const key of unclaimed) {
      const load = this.flights.run(
        key,
        async (isCurrent, run) => {
          const loaded = (await run.around(loadBatch)()).get(key);
          if (loaded === undefined) return loaded as V;
          return this.calls.store(key, loaded, parsed, isCurrent, budget, tickets.get(key));
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
}
