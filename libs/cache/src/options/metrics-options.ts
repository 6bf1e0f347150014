import type { Registry } from 'prom-client';
import { InvalidOptionError } from '../errors/cache.error';
import { describe, expectKnownKeys, expectObject } from './option-checks';

const KNOWN = ['registry', 'prefix', 'buckets'] as const;
/** What Prometheus takes as the start of a metric name. */
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Options of `CacheModule.forRoot({ metrics })`. */
export interface MetricsOptions {
  /**
   * The prom-client registry to register on.
   * @default prom-client's global `register` (the one the app already exposes)
   */
  registry?: Registry;
  /**
   * Prefix of every metric name.
   * @default 'cache_'
   */
  prefix?: string;
  /**
   * Histogram buckets of tier operations, in seconds.
   * @default [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5]
   */
  buckets?: number[];
}

/** Validates `metrics`: `true` for the defaults, an options object, or off. */
export function validateMetrics(raw: unknown): MetricsOptions | false {
  if (raw === undefined || raw === false) return false;
  if (raw === true) return {};
  // Checked here, so a bad one names its option instead of failing inside prom-client.
  const options = expectObject(raw, 'metrics');
  expectKnownKeys(options, KNOWN, 'metrics');
  const { prefix, buckets } = options;
  if (prefix !== undefined && (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix))) {
    throw new InvalidOptionError(
      `metrics.prefix: ${describe(prefix)} cannot start a Prometheus metric name`,
      'use letters, digits, _ and :, not starting with a digit, e.g. "shop_cache_"',
    );
  }
  if (buckets !== undefined && !increasingNumbers(buckets)) {
    throw new InvalidOptionError(
      `metrics.buckets: ${describe(buckets)} is not a non-empty list of finite numbers in increasing order`,
    );
  }
  return options;
}

function increasingNumbers(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (item, i) =>
        typeof item === 'number' &&
        Number.isFinite(item) &&
        (i === 0 || item > (value[i - 1] as number)),
    )
  );
}
