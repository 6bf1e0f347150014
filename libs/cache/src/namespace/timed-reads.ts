import type { NamespaceMetrics } from '../metrics/cache-metrics';
import type { TierStack } from '../stack/tier-stack';
import type { CacheEntry } from '../tiers/cache-entry';
import { assertKey } from '../values/validate-key';
import type { NamespaceSignals } from './namespace-signals';

/** A read below memory, counted as a hit when fresh and a miss otherwise. */
export type FoundOf<V> = (key: string, entry: CacheEntry | undefined) => V | undefined;

/**
 * `NamespaceCache.get` for the latency histograms, made once when metrics are on: a memory hit
 * and a read below memory are each timed into their own histogram.
 */
export class TimedReads<V> {
  constructor(
    private readonly stack: TierStack,
    private readonly signals: NamespaceSignals,
    private readonly metrics: NamespaceMetrics,
    private readonly foundOf: FoundOf<V>,
  ) {}

  /** Not async, so a hit costs no more promises than an untimed one. */
  get(key: string): V | undefined | Promise<V | undefined> {
    const metrics = this.metrics;
    const started = metrics.readStart();
    const near = this.stack.freshNear(key);
    if (near !== undefined) {
      metrics.memoryHit(started);
      return this.signals.hit(key, near) as V;
    }
    assertKey(key);
    return this.below(key, metrics, metrics.leftMemory(started));
  }

  private async below(
    key: string,
    metrics: NamespaceMetrics,
    started: number,
  ): Promise<V | undefined> {
    const value = await this.stack.readThen(key, this.foundOf);
    metrics.observe(this.stack.kind, 'get', (performance.now() - started) / 1000);
    return value;
  }
}
