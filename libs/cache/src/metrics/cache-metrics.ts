import type { Counter, Gauge, Registry } from 'prom-client';
import { LocalHistogram } from './local-histogram';
import { NamespaceMetrics } from './namespace-metrics';
import { InvalidOptionError } from '../errors/cache.error';
import { loadPeer } from '../optional-peer';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import type { MetricsOptions } from '../options/metrics-options';
import type { NamespaceStats } from '../stats';

export type { MetricsOptions };
export { MEMORY_HIT_SAMPLE, NamespaceMetrics, type LatencyTotals } from './namespace-metrics';

type StatsCounter = Exclude<
  keyof NamespaceStats,
  | 'hitRate'
  | 'entries'
  | 'entriesSource'
  | 'bytes'
  | 'persistent'
  | 'memoryOnly'
  | 'accesses'
  | 'latency'
>;
const COUNTERS: ReadonlyArray<[StatsCounter, string]> = [
  ['hits', 'reads answered by the cache'],
  ['misses', 'reads the cache could not answer'],
  ['sets', 'writes'],
  ['deletes', 'entries deleted or invalidated'],
  ['evictions', 'entries evicted from memory by its bounds'],
  ['expirations', 'entries found expired'],
  ['errors', 'backend faults absorbed'],
  ['staleServes', 'stale values served within grace'],
  ['loaderCalls', 'loader calls'],
  ['loaderFailures', 'loader calls that threw'],
];

const GAUGES = [
  ['entries', 'entries held in memory'],
  ['bytes', 'approximate bytes held in memory'],
  ['persistent', 'entries held whose persistence level is not MEMORY_ONLY'],
] as const;

/**
 * Prometheus metrics of every namespace through prom-client (an optional dependency): counters
 * and gauges are read from the namespaces' stats when scraped, so they cost nothing per call;
 * only the latency histograms observe calls as they happen (memory hits one in
 * `MEMORY_HIT_SAMPLE`, every call counted). Label values are namespace and tier
 * names, never keys.
 */
export class CacheMetrics {
  private readonly operations: LocalHistogram;
  private readonly loaders: LocalHistogram;
  private readonly owned: string[] = [];

  constructor(options: MetricsOptions, stats: () => Readonly<Record<string, NamespaceStats>>) {
    const client = loadPromClient();
    const registers = [options.registry ?? client.register];
    const prefix = options.prefix ?? CACHE_DEFAULTS.metricsPrefix;
    // Checked before any is registered: a start that fails must leave the registry as it was.
    for (const registry of registers) expectFreeNames(registry, metricNames(prefix));
    for (const [field, help] of COUNTERS) {
      const seen = new Map<string, number>();
      const counter: Counter<'namespace'> = new client.Counter({
        name: counterName(prefix, field),
        help: `Cache ${help}, by namespace.`,
        labelNames: ['namespace'],
        registers,
        collect() {
          // Counters only grow: add what happened since the last scrape.
          for (const [namespace, values] of Object.entries(stats())) {
            const delta = values[field] - (seen.get(namespace) ?? 0);
            if (delta > 0) counter.inc({ namespace }, delta);
            seen.set(namespace, values[field]);
          }
        },
      });
      this.owned.push(counterName(prefix, field));
    }
    for (const [field, help] of GAUGES) {
      const gauge: Gauge<'namespace'> = new client.Gauge({
        name: gaugeName(prefix, field),
        help: `Cache ${help}, by namespace.`,
        labelNames: ['namespace'],
        registers,
        collect() {
          for (const [namespace, values] of Object.entries(stats())) {
            // A figure nobody tracks (see `entriesSource`) is left out rather than reported as 0.
            const known =
              values.entriesSource === 'memory' ||
              (values.entriesSource === 'shared' && field === 'entries');
            if (known) gauge.set({ namespace }, values[field]);
          }
        },
      });
      this.owned.push(gaugeName(prefix, field));
    }
    this.operations = new LocalHistogram(
      `${prefix}operation_duration_seconds`,
      'Latency of cache reads and writes, by namespace and the tier that answered.',
      options.buckets ?? [...CACHE_DEFAULTS.metricsBuckets],
    );
    this.loaders = new LocalHistogram(
      `${prefix}loader_duration_seconds`,
      'Duration of getOrSet loader calls, by namespace.',
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    );
    for (const registry of registers) {
      this.operations.register(registry);
      this.loaders.register(registry);
    }

    this.registers = registers;
  }

  private readonly registers: Registry[];

  /** The metrics of one namespace. */
  for(namespace: string): NamespaceMetrics {
    return new NamespaceMetrics(namespace, this.operations, this.loaders);
  }

  /** Removes the metrics from their registry, so a new app in the same process can register them. */
  close(): void {
    for (const registry of this.registers) {
      for (const name of [...this.owned, this.operations.name, this.loaders.name]) {
        registry.removeSingleMetric(name);
      }
    }
  }
}

function loadPromClient(): typeof import('prom-client') {
  return loadPeer<typeof import('prom-client')>('prom-client', 'metrics');
}

/** The name of the counter of a stats field. */
function counterName(prefix: string, field: string): string {
  return `${prefix}${snake(field)}_total`;
}

/** The name of the gauge of a stats field. */
function gaugeName(prefix: string, field: string): string {
  return `${prefix}${field}`;
}

/** Every name this class registers under `prefix`. */
function metricNames(prefix: string): string[] {
  return [
    ...COUNTERS.map(([field]) => counterName(prefix, field)),
    ...GAUGES.map(([field]) => gaugeName(prefix, field)),
    `${prefix}operation_duration_seconds`,
    `${prefix}loader_duration_seconds`,
  ];
}

/** Fails, naming the option, when `registry` already holds one of `names`. */
function expectFreeNames(registry: Registry, names: readonly string[]): void {
  const taken = names.find((name) => registry.getSingleMetric(name) !== undefined);
  if (taken !== undefined) {
    throw new InvalidOptionError(
      `metrics: the registry already holds a metric named "${taken}" (another app in this process with metrics on, or the application's own)`,
      'give each app its own metrics.registry, or a metrics.prefix of its own',
    );
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
