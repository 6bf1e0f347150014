import { asError } from '../errors/as-error';
import { CacheError } from '../errors/cache.error';
import type { LoaderRun } from './loader-run';
import { quoted } from '../logging/log-text';

/**
 * `getOrSet` gave up waiting for its loader (`hardTimeout`, counted from the loader's call) and
 * had no stale value to serve.
 */
export class LoaderTimeoutError extends CacheError {
  constructor(namespace: string, key: string, ms: number) {
    super(
      `cache namespace "${namespace}": the loader of ${quoted(key)} took longer than ${ms}ms`,
      'E_CACHE_LOADER_TIMEOUT',
      'the loader goes on and its value is stored when it arrives; add grace to serve stale values meanwhile',
    );
  }
}

/** What `withDeadlines` needs to know about one call. */
export interface Deadlines<T> {
  /** Soft timeout: serve the stale value after this, if there is one. */
  readonly timeout?: number;
  /** Hard timeout: serve the stale value after this, or fail. */
  readonly hardTimeout?: number;
  /** The stale value, if one is known by then. */
  readonly stale: () => { value: T } | undefined;
  /** Called when the stale value is served. */
  readonly onStale: () => void;
  readonly timeoutError: () => Error;
}

/**
 * Races a load against its timeouts, which count the flight's loader run only (see `LoaderRun`):
 * they start when it starts and stop when the loader has answered, so neither the shared-tier
 * read before it nor the store after it can end in a timeout. Without a run they count from now.
 * The load itself is never cancelled: it goes on, and stores its value when it arrives; only this
 * caller stops waiting.
 */
export function withDeadlines<T>(
  load: Promise<T>,
  run: LoaderRun | undefined,
  deadlines: Deadlines<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    let unwatch = (): void => undefined;
    const disarm = (): void => {
      timers.forEach(clearTimeout);
      timers.length = 0;
    };
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      disarm();
      unwatch();
      finish();
    };
    const serveStale = (): boolean => {
      const stale = deadlines.stale();
      if (stale === undefined) return false;
      deadlines.onStale();
      settle(() => resolve(stale.value));
      return true;
    };
    const arm = (): void => {
      if (settled) return;
      if (deadlines.timeout !== undefined) timers.push(setTimeout(serveStale, deadlines.timeout));
      if (deadlines.hardTimeout !== undefined) {
        timers.push(
          setTimeout(() => {
            if (!serveStale()) settle(() => reject(deadlines.timeoutError()));
          }, deadlines.hardTimeout),
        );
      }
    };
    load.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(asError(error))),
    );
    if (run === undefined) arm();
    else unwatch = run.watch({ started: arm, finished: disarm });
  });
}
