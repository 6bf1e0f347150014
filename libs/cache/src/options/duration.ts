import ms from 'ms';
import { InvalidOptionError } from '../errors/cache.error';

/**
 * A duration: a number of milliseconds, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'`,
 * `'1d'`. `Infinity` means "never expires".
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

// `ms` alone would accept "5 mins" or "2 weeks"; the contract allows exactly these units.
const DURATION_PATTERN = /^\d+(\.\d+)?(ms|s|m|h|d)$/;

/**
 * Parses a duration to milliseconds, throwing an error that names `path` and the bad value.
 * Zero and negatives are rejected: a cache entry that expires at once is a bug, not a setting.
 */
export function parseDuration(value: unknown, path: string): number {
  if (typeof value === 'number') {
    if (value === Infinity || (Number.isFinite(value) && value > 0)) return value;
  } else if (typeof value === 'string' && DURATION_PATTERN.test(value)) {
    const parsed = ms(value as ms.StringValue);
    if (parsed > 0) return parsed;
  }
  throw new InvalidOptionError(
    `${path}: ${JSON.stringify(value) ?? String(value)} is not a duration`,
    "use milliseconds (a positive number, or Infinity for no expiry) or a string like '500ms', '30s', '5m', '1h', '1d'",
  );
}

/**
 * The longest finite time to live (and grace period): 100 years of 365 days. Any entry's expiry
 * stays a valid JS Date, PostgreSQL `timestamptz` and Redis `PX`; `Infinity` is "no expiry".
 */
export const MAX_TTL_MS = 36_500 * 86_400_000;

/** Parses a time to live: a duration of 1 ms to `MAX_TTL_MS`, or `Infinity`. */
export function parseTtl(value: unknown, path: string): number {
  const parsed = parseDuration(value, path);
  if (parsed === Infinity || (parsed >= 1 && parsed <= MAX_TTL_MS)) return parsed;
  throw new InvalidOptionError(
    `${path}: ${JSON.stringify(value)} is outside the range of a time to live (1 ms to 36500d)`,
    'use Infinity for an entry that never expires',
  );
}

/** The longest delay a Node timer holds (about 24.8 days): a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Parses a duration a timer waits out: `Infinity` (no timer) or at most `MAX_TIMER_MS`, which is
 * refused above rather than left to fire at once.
 */
export function parseTimerDuration(value: unknown, path: string): number {
  const parsed = parseDuration(value, path);
  if (parsed === Infinity || parsed <= MAX_TIMER_MS) return parsed;
  throw new InvalidOptionError(
    `${path}: ${JSON.stringify(value)} is longer than the longest timer (${MAX_TIMER_MS} ms, about 24.8d)`,
    'use Infinity to wait without a limit',
  );
}
