import { CacheError } from '../errors/cache.error';
import { LoaderTimeoutError } from '../loading/deadlines';
import { snapshotValue } from '../values/snapshot-value';
import { methodCacheLogger } from './method-cache';

/** The method itself failed: its error belongs to the callers, not to the cache. */
class MethodFailed extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The cache cannot store what the method returned: the load fails with this, carrying the
 * result, so every call that shared the load returns that result from its one run.
 */
class ResultRefused extends Error {
  constructor(
    readonly result: unknown,
    readonly reason: CacheError,
  ) {
    super(reason.message);
  }
}

/**
 * One call of a `@Cacheable` method through `getOrSet`, in which the method runs at most once
 * whatever the cache does. The method's own error propagates (to every call that shared its
 * load), and so does `E_CACHE_LOADER_TIMEOUT`, the deadline the caller asked for. A result the
 * cache cannot store is logged and returned to every call that shared its load. Anything else
 * the cache raises (tags or a key it refuses, a backend fault in strict mode) is logged, and the
 * call returns the method's result: from the run its own loader made, or from one it makes now.
 */
export class CacheableCall {
  /** The one run of the method by this call, once started. */
  private run?: Promise<unknown>;

  constructor(
    private readonly call: () => Promise<unknown>,
    private readonly where: { readonly className: string; readonly method: string },
    /** The namespace's `maxValueBytes`, which a result must fit to be stored. */
    private readonly maxValueBytes: number,
  ) {}

  /**
   * The loader for `getOrSet`: the method's one run, its failure marked as its own, and a
   * result the cache would refuse carried by the load's failure to every call that shares it.
   */
  readonly loader = async (): Promise<unknown> => {
    let result: unknown;
    try {
      result = await this.runOnce();
    } catch (error) {
      throw new MethodFailed(error);
    }
    try {
      snapshotValue(result, 'result', this.maxValueBytes);
    } catch (error) {
      if (error instanceof CacheError) throw new ResultRefused(result, error);
      throw error;
    }
    return result;
  };

  /** What the call returns once `getOrSet` failed with `outcome`. */
  async settle(outcome: unknown): Promise<unknown> {
    if (outcome instanceof MethodFailed) throw outcome.error;
    if (outcome instanceof LoaderTimeoutError) throw outcome;
    const { className, method } = this.where;
    const reason = outcome instanceof ResultRefused ? outcome.reason : outcome;
    methodCacheLogger.warn(
      `${className}.${method}: result not cached: ${(reason as Error)?.message ?? String(reason)}`,
    );
    if (outcome instanceof ResultRefused) return outcome.result;
    return this.runOnce();
  }

  private runOnce(): Promise<unknown> {
    // A method that throws before it returns its Promise fails this run, as a rejection would.
    return (this.run ??= new Promise((resolve) => resolve(this.call())));
  }
}
