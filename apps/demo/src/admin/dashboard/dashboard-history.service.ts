import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CacheService, type NamespaceStats } from 'nest-tiered-cache';
import { register } from 'prom-client';
import { quantile, readBuckets, type Buckets } from './latency-quantile';

/** How often the dashboard's history takes a sample, and how much of it is kept. */
export const SAMPLE_EVERY_MS = 1000;
export const HISTORY_MS = 5 * 60 * 1000;

/** The read-latency histogram of the cache's metrics (default prefix). */
const READ_HISTOGRAM = 'cache_operation_duration_seconds';

/** One namespace over one sampling interval. */
export interface NamespaceSample {
  /** Hits per read in this interval, as a percentage; null when nothing was read. */
  hitRate: number | null;
  reads: number;
  entries: number;
  bytes: number;
  /** Read latency quantiles in this interval, in ms; null when nothing was read. */
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Every namespace at one moment. */
export interface DashboardSample {
  at: number;
  namespaces: Record<string, NamespaceSample>;
}

/**
 * The dashboard's last five minutes, kept by the server so the page has them on first open:
 * every second, each namespace's hit rate and reads over that second (not since start, which
 * hides a sudden drop), what memory holds, and read latency quantiles from the histograms.
 */
@Injectable()
export class DashboardHistory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly samples: DashboardSample[] = [];
  private previous?: {
    at: number;
    stats: Record<string, NamespaceStats>;
    buckets: Map<string, Buckets>;
  };
  private timer?: NodeJS.Timeout;

  constructor(private readonly cache: CacheService) {}

  onApplicationBootstrap(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Samples taken after `since` (ms since the epoch), oldest first. */
  since(since = 0): DashboardSample[] {
    return this.samples.filter((sample) => sample.at > since);
  }

  /** Takes one sample now. */
  async sample(): Promise<void> {
    const at = Date.now();
    const stats = this.cache.stats();
    const buckets = await this.readLatency();
    const previous = this.previous;
    this.previous = { at, stats, buckets };
    if (!previous) return;
    const seconds = Math.max((at - previous.at) / 1000, 0.001);
    const namespaces: Record<string, NamespaceSample> = {};
    for (const [name, now] of Object.entries(stats)) {
      const before = previous.stats[name];
      const hits = now.hits - (before?.hits ?? 0);
      const reads = hits + now.misses - (before?.misses ?? 0);
      const was = previous.buckets.get(name);
      const is = buckets.get(name);
      namespaces[name] = {
        hitRate: reads > 0 ? (hits / reads) * 100 : null,
        reads: reads / seconds,
        entries: now.entries,
        bytes: now.bytes,
        p50Ms: ms(is && quantile(0.5, was, is)),
        p99Ms: ms(is && quantile(0.99, was, is)),
      };
    }
    this.samples.push({ at, namespaces });
    while (this.samples.length > 0 && at - this.samples[0].at > HISTORY_MS) this.samples.shift();
  }

  private async readLatency(): Promise<Map<string, Buckets>> {
    const metric = register.getSingleMetric(READ_HISTOGRAM);
    if (!metric) return new Map();
    const { values } = (await metric.get()) as {
      values: Array<{
        labels: Record<string, string | number>;
        value: number;
        metricName?: string;
      }>;
    };
    return readBuckets(values);
  }
}

function ms(seconds: number | undefined): number | null {
  return seconds === undefined ? null : seconds * 1000;
}
