import { refusedLoad } from '../errors/refused-load';
import { LoaderTimeoutError } from '../loading/deadlines';
import { methodCacheLogger } from './method-cache';

/** The method itself failed: its error belongs to the callers, not to the cache. */
class MethodFailed extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
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
  ) {}

  /** The loader for `getOrSet`: the method's one run, its failure marked as its own. */
  readonly loader = (): Promise<unknown> =>
    this.runOnce().catch((error: unknown) => {
      throw new MethodFailed(error);
    });

  /** What the call returns once `getOrSet` failed with `outcome` (called in its `catch`). */
  settle(outcome: unknown): unknown {
    if (outcome instanceof MethodFailed) throw outcome.error;
    if (outcome instanceof LoaderTimeoutError) throw outcome;
    const { className, method } = this.where;
    methodCacheLogger.warn(
      `${className}.${method}: result not cached: ${(outcome as Error)?.message ?? String(outcome)}`,
    );
    // A result the cache refused comes with its refusal, to every call that shared the load.
    const refused = refusedLoad(outcome);
    return refused ? refused.loaded : this.runOnce();
  }

  private runOnce(): Promise<unknown> {
    // A method that throws before it returns its Promise fails this run, as a rejection would.
    return (this.run ??= new Promise((resolve) => resolve(this.call())));
  }
}
