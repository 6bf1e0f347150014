import type { Duration } from './duration';
import type { PersistenceLevel } from './persistence-level';

/** Per-call options of `set`, `setMany`, `getOrSet`, `increment` and `setIfAbsent`. */
export interface SetOptions {
  /**
   * Time to live of this entry.
   * @default the namespace's `ttl`
   */
  ttl?: Duration;
  /**
   * Tags for `invalidateTags`.
   * @default none
   */
  tags?: string[];
  /**
   * Secondary index values for `getByIndex` / `keysByIndex`, e.g. `{ email: 'a@b.c' }`.
   * @default none
   */
  indexes?: Record<string, string>;
  /**
   * When this entry is written to the durable store.
   * @default the namespace's `persistence`
   */
  persistence?: PersistenceLevel;
}

/**
 * Options of `getOrSet`: those of `set`, plus a lock across instances and ways to serve around a
 * slow or failing loader.
 */
export interface GetOrSetOptions extends SetOptions {
  /**
   * With a shared tier (Redis): only one instance runs the loader for a missing key; the others
   * wait for its value (at most `wait`), then load themselves. `true` uses the defaults. `ttl` is
   * the longest a load may take (the lock then expires); `wait` is at most `ttl` (by default 5s,
   * or `ttl` when shorter) and at most one minute, else `E_CACHE_INVALID_OPTION`. The wait also
   * ends, and the caller loads, when a poll finds Redis failing.
   * @default false; `{ ttl: '10s', wait: '5s' }` when true
   */
  lock?: boolean | { ttl?: Duration; wait?: Duration };
  /**
   * True for a loaded value that must be returned but not stored.
   * @default none (every loaded value but `undefined` is stored)
   */
  unless?: (value: never) => boolean;
  /**
   * Keep the stored value this long past its TTL; while the loader fails or is slow, that stale
   * value is served instead of an error.
   * @default the namespace's `grace` (none)
   */
  grace?: Duration;
  /**
   * Soft timeout: when a stale value exists and the loader takes longer, the stale value is
   * returned; the loader goes on and its value is stored when it arrives. Counted from the
   * loader's call (or the start of a wait for another instance's lock), not the shared-tier
   * read before it, which `commandTimeout` bounds. At most 24.8 days (a timer's limit);
   * `Infinity` is none.
   * @default none (wait for the loader)
   */
  timeout?: Duration;
  /**
   * Hard timeout: when the loader takes longer, the call returns the stale value or fails with
   * `E_CACHE_LOADER_TIMEOUT`; the loader goes on and its value is stored when it arrives.
   * Counted and bounded as `timeout` is.
   * @default none (wait for the loader)
   */
  hardTimeout?: Duration;
  /**
   * A fraction of the TTL (0 to 1): a hit with less than this share of its TTL left returns the
   * value and refreshes it in the background, once.
   * @default none (reload only once expired)
   */
  refreshAhead?: number;
}
