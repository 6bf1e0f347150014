import { LoaderRun } from './loader-run';

/** One load in progress for one key. */
interface Flight<T> {
  promise?: Promise<T>;
  /** Tags the loaded value will carry, so a tag invalidation can supersede the load. */
  readonly tags: readonly string[] | undefined;
  /** Set when the key was written or invalidated meanwhile: the result must not be cached. */
  superseded: boolean;
}

/**
 * Coalesces concurrent loads of one key into one call. A write or invalidation of a key while
 * its load runs supersedes the load: its result is not cached, and later callers start afresh
 * instead of joining it, so a slow loader can never bring back data older than the write. Each
 * load is given a `LoaderRun` to mark when its loader runs, which the deadlines of its callers
 * count.
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();
  private readonly runs = new WeakMap<Promise<T>, LoaderRun>();

  /** The promise of the load of `key` in progress, if any. */
  current(key: string): Promise<T> | undefined {
    return this.flights.size === 0 ? undefined : this.flights.get(key)?.promise;
  }

  /**
   * Runs `load` unless a load of `key` is in progress (then joins it). `load` receives a check
   * that says whether its result may still be stored, and the run it marks its loader's with.
   */
  run(
    key: string,
    load: (isCurrent: () => boolean, run: LoaderRun) => Promise<T>,
    tags?: readonly string[],
  ): Promise<T> {
    const existing = this.flights.get(key)?.promise;
    if (existing) return existing;
    // Registered before the load starts, so a loader that throws at once still cleans up.
    const flight: Flight<T> = { superseded: false, tags };
    this.flights.set(key, flight);
    const run = new LoaderRun();
    const promise = (flight.promise = this.execute(key, flight, (isCurrent) =>
      load(isCurrent, run),
    ));
    this.runs.set(promise, run);
    return promise;
  }

  /** The loader run of a load `run` returned. */
  runOf(load: Promise<T>): LoaderRun | undefined {
    return this.runs.get(load);
  }

  /** Supersedes the load of `key`. */
  supersede(key: string): void {
    if (this.flights.size === 0) return;
    const flight = this.flights.get(key);
    if (flight) this.drop(key, flight);
  }

  /** Supersedes the loads of `keys`. */
  supersedeAll(keys?: Iterable<string>): void {
    if (this.flights.size === 0) return;
    if (keys === undefined) {
      for (const [key, flight] of this.flights) this.drop(key, flight);
    } else {
      for (const key of keys) this.supersede(key);
    }
  }

  /** Supersedes every load whose key or tags match. */
  supersedeWhere(matches: (key: string, tags: readonly string[] | undefined) => boolean): void {
    for (const [key, flight] of this.flights) if (matches(key, flight.tags)) this.drop(key, flight);
  }

  private drop(key: string, flight: Flight<T>): void {
    flight.superseded = true;
    this.flights.delete(key);
  }

  private async execute(
    key: string,
    flight: Flight<T>,
    load: (isCurrent: () => boolean) => Promise<T>,
  ): Promise<T> {
    try {
      return await load(() => !flight.superseded);
    } finally {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    }
  }
}
