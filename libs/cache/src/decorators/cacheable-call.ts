import { unstoredLoad } from '../errors/unstored-load';
import { LoaderTimeoutError } from '../loading/deadlines';
import { methodCacheLogger } from './method-cache';
import { loggedMessage } from '../logging/log-text';

/** The method itself failed: its error belongs to the callers, not to the cache. */
class MethodFailed extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The run of the method that serves the calls of one failed load, by the error that failed it:
 * calls that shared a load are rejected with one error, so they find one run here.
 */
const fallbackRuns = new WeakMap<object, Promise<unknown>>();

/**
 * One call of a `@Cacheable` method through `getOrSet`, in which the method runs at most once
 * for all the calls that share a load, whatever the cache does. The method's own error
 * propagates (to every call that shared its load), and so does `E_CACHE_LOADER_TIMEOUT`, the
 * deadline the caller asked for. Anything else the cache raises (a result it cannot store, tags
 * or a key it refuses, a backend fault in strict mode) is logged, and the calls that shared the
 * load get the method's one result: the one its loader produced, carried by the error (see
 * `markUnstoredLoad`), or, when the load failed before its loader ran, one run the first of them
 * to settle makes for them all.
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
    methodCacheLogger.warn(`${className}.${method}: result not cached: ${loggedMessage(outcome)}`);
    const unstored = unstoredLoad(outcome);
    if (unstored) return unstored.loaded;
    if (typeof outcome !== 'object' || outcome === null) return this.runOnce();
    let shared = fallbackRuns.get(outcome);
    if (shared === undefined) {
      shared = this.runOnce();
      fallbackRuns.set(outcome, shared);
    }
    return shared;
  }

  private runOnce(): Promise<unknown> {
    // A method that throws before it returns its Promise fails this run, as a rejection would.
    return (this.run ??= new Promise((resolve) => resolve(this.call())));
  }
}
