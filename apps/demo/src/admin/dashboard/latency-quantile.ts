/** Cumulative counts of one histogram by upper bound (`le`), `Infinity` last. */
export type Buckets = Map<number, number>;

/**
 * The `q` quantile (0 to 1) of what a histogram counted between two readings, interpolated inside
 * its bucket as Prometheus' `histogram_quantile` does; undefined when nothing was counted. Values
 * in the last (`+Inf`) bucket report the highest finite bound.
 */
export function quantile(q: number, before: Buckets | undefined, now: Buckets): number | undefined {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (now.get(bound) ?? 0) - (before?.get(bound) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i] < rank) continue;
    if (bounds[i] === Infinity) return bounds[i - 1];
    const lower = i === 0 ? 0 : bounds[i - 1];
    const below = i === 0 ? 0 : counts[i - 1];
    const inBucket = counts[i] - below;
    return inBucket > 0 ? lower + ((bounds[i] - lower) * (rank - below)) / inBucket : bounds[i];
  }
  return bounds[bounds.length - 2];
}

/** Cumulative read-latency buckets per namespace, summed over the tiers that answered. */
export function readBuckets(
  values: ReadonlyArray<{
    labels: Record<string, string | number>;
    value: number;
    metricName?: string;
  }>,
): Map<string, Buckets> {
  const byNamespace = new Map<string, Buckets>();
  for (const { labels, value, metricName } of values) {
    if (!metricName?.endsWith('_bucket') || labels.operation !== 'get') continue;
    const namespace = String(labels.namespace);
    const bound = labels.le === '+Inf' ? Infinity : Number(labels.le);
    let buckets = byNamespace.get(namespace);
    if (!buckets) byNamespace.set(namespace, (buckets = new Map<number, number>()));
    buckets.set(bound, (buckets.get(bound) ?? 0) + value);
  }
  return byNamespace;
}
