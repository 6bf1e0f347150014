import type { Registry } from 'prom-client';

interface Child {
  readonly labels: Record<string, string>;
  /** Per bound, then one for values above the last bound (+Inf only). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** One histogram series, observed on the hot path with a few array writes. */
export interface HistogramChild {
  observe(value: number): void;
  /**
   * Counts one more observation of the value last observed, without measuring it again (see
   * `NamespaceMetrics.read`). Before any observation there is nothing to repeat: false.
   */
  repeat(): boolean;
}

/**
 * A Prometheus histogram registered on a prom-client registry, whose observations cost a bucket
 * search and three number writes: prom-client's own histogram hashes its labels on every
 * observation, which costs more than the cache read being measured. Label sets are resolved once
 * (`child`), and the registry formats the buckets when it is scraped.
 */
export class LocalHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly children: Child[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  /** The series of one label set; keep it, and observe through it. */
  child(labels: Record<string, string>): HistogramChild {
    const child: Child = {
      labels,
      buckets: new Float64Array(this.bounds.length + 1),
      sum: 0,
      count: 0,
    };
    this.children.push(child);
    const bounds = this.bounds;
    let last = -1;
    let lastValue = 0;
    return {
      observe(value: number): void {
        let i = 0;
        while (i < bounds.length && value > bounds[i]) i++;
        child.buckets[i]++;
        child.sum += value;
        child.count++;
        last = i;
        lastValue = value;
      },
      repeat(): boolean {
        if (last < 0) return false;
        child.buckets[last]++;
        child.sum += lastValue;
        child.count++;
        return true;
      },
    };
  }

  /** What prom-client's registry reads when it is scraped. */
  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: unknown[];
  }> {
    const values: unknown[] = [];
    for (const child of this.children) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += child.buckets[i];
        values.push({
          labels: { ...child.labels, le: bound },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { ...child.labels, le: '+Inf' },
        value: child.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: child.labels, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: child.labels, value: child.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  reset(): void {
    for (const child of this.children) {
      child.buckets.fill(0);
      child.sum = 0;
      child.count = 0;
    }
  }

  register(registry: Registry): void {
    registry.registerMetric(this as never);
  }
}
