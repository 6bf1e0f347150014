import type { CallHandler, Logger } from '@nestjs/common';
import { from, lastValueFrom, of, type Observable } from 'rxjs';
import type { NamespaceCache } from '../namespace/namespace-cache';
import type { GetOrSetOptions } from '../options/call-options.interface';
import { storedForm } from './cached-response';
import { loggedMessage, quoted } from '../logging/log-text';

/** The handler's response could not be cached; carries it so the leading request still gets it. */
export class Uncacheable extends Error {
  constructor(readonly body: unknown) {
    super('response not cacheable');
  }
}

/** The handler itself failed: the error belongs to the request, not to the cache. */
class HandlerFailed extends Error {
  constructor(readonly error: unknown) {
    super('handler failed');
  }
}

/** Runs the handler to its last value, marking its own failures apart from cache faults. */
async function runHandler(next: CallHandler): Promise<unknown> {
  try {
    return await lastValueFrom(next.handle(), { defaultValue: undefined });
  } catch (error) {
    throw new HandlerFailed(error);
  }
}

/**
 * One request's load through its handler: the loader `getOrSet` calls (it runs the handler once
 * and stores what `store` makes of its body), and how a failed `getOrSet` is settled for this
 * request. The handler
 * runs at most once per request, whatever the cache does: a request that falls back after its
 * loader started (a hard timeout, a store that failed) is served by that run, and a loader
 * called after the fallback started reuses the fallback's run. The handler's own error belongs
 * to the request that ran it; requests that only shared the load run the handler themselves, as
 * they do for a response that could not be cached. Anything else is a cache fault: logged, and
 * the response served uncached.
 */
export class HandlerLoad {
  /** True once this request's loader was called (a miss it led). */
  ran = false;
  /** The one run of this request's handler, once started. */
  private run?: Promise<unknown>;

  constructor(private readonly next: CallHandler) {}

  /**
   * The loader for `getOrSet`: runs the handler and stores what `store` makes of its body;
   * `starting` is called first, before the handler runs.
   */
  loader<T>(store: (body: unknown) => T, starting?: () => void): () => Promise<T> {
    return async () => {
      this.ran = true;
      starting?.();
      return store(await this.runOnce());
    };
  }

  /** The response after a failed `getOrSet` of `key`. */
  settle(outcome: unknown, key: string, logger: Logger): Observable<unknown> {
    if (!(outcome instanceof HandlerFailed) && !(outcome instanceof Uncacheable)) {
      logger.warn(`cache fault on ${quoted(key)}; serving uncached: ${loggedMessage(outcome)}`);
    }
    // Another request's failure or uncacheable body is not this one's: it gets its own run.
    return this.uncached();
  }

  /** The response of this request's one run of the handler, started now unless it has been. */
  uncached(): Observable<unknown> {
    return from(
      this.runOnce().catch((failure: unknown) => {
        throw failure instanceof HandlerFailed ? failure.error : failure;
      }),
    );
  }

  private runOnce(): Promise<unknown> {
    return (this.run ??= runHandler(this.next));
  }
}

/**
 * A non-HTTP handler with an explicit key: the value itself is cached, loaded by running the
 * handler and handed on in its stored form on a miss as on a hit; a failure is settled as for a
 * route.
 */
export async function cacheHandlerValue(
  next: CallHandler,
  namespace: NamespaceCache<unknown>,
  key: string,
  load: GetOrSetOptions,
  logger: Logger,
): Promise<Observable<unknown>> {
  const handler = new HandlerLoad(next);
  try {
    return of(await namespace.getOrSet(key, handler.loader(storedForm), load));
  } catch (outcome) {
    return handler.settle(outcome, key, logger);
  }
}
