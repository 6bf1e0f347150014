import type { Registry } from 'prom-client';
import { expectObject } from './option-checks';

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
  return raw === true ? {} : expectObject(raw, 'metrics');
}
