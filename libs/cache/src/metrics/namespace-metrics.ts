import type { TierKind } from '../options/cache-options.interface';
import type { HistogramChild, LocalHistogram } from './local-histogram';

/** Cumulative latency of one operation, for consumers that compute their own rates. */
export interface LatencyTotals {
  count: number;
  seconds: number;
}

type Operation = 'get' | 'set';

/**
 * One memory hit in this many is timed; the others count with the latency last measured. A
 * memory hit takes about as long as the two clock readings that would time it, so timing every
 * one halves the read rate, while one in 16 costs a few percent.
 */
export const MEMORY_HIT_SAMPLE = 16;

/**
 * What one namespace reports to the metrics; every method is cheap. Every call is counted
 * (histogram counts are exact); memory hits are timed one in `MEMORY_HIT_SAMPLE`, each of the
 * others counting the latency last measured, so sums and buckets are estimates from a sample.
 */
export class NamespaceMetrics {
  readonly #operations: LocalHistogram;
  readonly #namespace: string;
  readonly #children: Record<Operation, Partial<Record<TierKind, HistogramChild>>> = {
    get: {},
    set: {},
  };
  readonly #loader: HistogramChild;
  readonly #totals: Record<Operation | 'loader', LatencyTotals> = {
    get: { count: 0, seconds: 0 },
    set: { count: 0, seconds: 0 },
    loader: { count: 0, seconds: 0 },
  };
  /** Memory's read series, once a hit was timed. */
  #memoryGet: HistogramChild | undefined;
  /** Latency of the last timed memory hit, in seconds. */
  #lastHit = 0;
  /** Memory hits to go before the next timed one; 0: time the next. */
  #untilTimed = 0;

  /** @internal built by `CacheMetrics.for`. */
  constructor(namespace: string, operations: LocalHistogram, loaders: LocalHistogram) {
    this.#namespace = namespace;
    this.#operations = operations;
    this.#loader = loaders.child({ namespace });
  }

  /** A call of `operation` answered by `tier`, measured at `seconds`. */
  observe(tier: TierKind, operation: Operation, seconds: number): void {
    this.#child(tier, operation).observe(seconds);
    const totals = this.#totals[operation];
    totals.count++;
    totals.seconds += seconds;
  }

  /**
   * Called as a read begins: a clock reading (`performance.now()`) when this read is to be
   * timed, else NaN. Pass it to `memoryHit` when memory answers, else to `leftMemory`.
   */
  readStart(): number {
    return this.#untilTimed === 0 ? performance.now() : NaN;
  }

  /** A read answered by memory, begun at `started` (from `readStart`). */
  memoryHit(started: number): void {
    const totals = this.#totals.get;
    if (started === started) {
      const seconds = (performance.now() - started) / 1000;
      (this.#memoryGet ??= this.#child('memory', 'get')).observe(seconds);
      this.#lastHit = seconds;
      this.#untilTimed = MEMORY_HIT_SAMPLE - 1;
      totals.seconds += seconds;
    } else {
      // Not timed: an earlier hit was, so memory's series is there with a value to repeat.
      this.#memoryGet?.repeat();
      this.#untilTimed--;
      totals.seconds += this.#lastHit;
    }
    totals.count++;
  }

  /**
   * A read memory could not answer goes on below, and is always timed: from `started` (from
   * `readStart`), or from now when that read was not timed (the memory lookup it leaves out
   * takes nanoseconds). Observe it with `observe(tier, 'get', ...)` from the reading returned.
   */
  leftMemory(started: number): number {
    return started === started ? started : performance.now();
  }

  /** A loader call that took `seconds`. */
  loader(seconds: number): void {
    this.#loader.observe(seconds);
    this.#totals.loader.count++;
    this.#totals.loader.seconds += seconds;
  }

  /** Cumulative latency by operation, since start. */
  totals(): Readonly<Record<Operation | 'loader', LatencyTotals>> {
    return this.#totals;
  }

  /** Series are resolved once per tier and operation, not per call. */
  #child(tier: TierKind, operation: Operation): HistogramChild {
    const children = this.#children[operation];
    return (children[tier] ??= this.#operations.child({
      namespace: this.#namespace,
      tier,
      operation,
    }));
  }
}
