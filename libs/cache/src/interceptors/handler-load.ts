import type { CallHandler, Logger } from '@nestjs/common';
import { lastValueFrom, of, throwError, type Observable } from 'rxjs';
import type { NamespaceCache } from '../namespace/namespace-cache';
import type { GetOrSetOptions } from '../options/cache-options.interface';

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
export async function runHandler(next: CallHandler): Promise<unknown> {
  try {
    return await lastValueFrom(next.handle(), { defaultValue: undefined });
  } catch (error) {
    throw new HandlerFailed(error);
  }
}

/**
 * After a failed getOrSet. The handler's own error belongs to the request that ran it; requests
 * that only shared the load run the handler themselves, as they do for a response that could
 * not be cached. Anything else is a cache fault: logged, and the response served uncached.
 */
export function settleFailedLoad(
  outcome: unknown,
  ran: boolean,
  produced: { body: unknown } | undefined,
  next: CallHandler,
  key: string,
  logger: Logger,
): Observable<unknown> {
  if (outcome instanceof HandlerFailed) {
    if (ran) return throwError(() => outcome.error);
    return next.handle();
  }
  if (outcome instanceof Uncacheable) return ran ? of(outcome.body) : next.handle();
  logger.warn(
    `cache fault on ${key}; serving uncached: ${(outcome as Error)?.message ?? String(outcome)}`,
  );
  return produced ? of(produced.body) : next.handle();
}

/**
 * A non-HTTP handler with an explicit key: the value itself is cached, loaded by running the
 * handler; a failure is settled as for a route.
 */
export async function cacheHandlerValue(
  next: CallHandler,
  namespace: NamespaceCache<unknown>,
  key: string,
  load: GetOrSetOptions,
  logger: Logger,
): Promise<Observable<unknown>> {
  let produced: { body: unknown } | undefined;
  let missed = false;
  try {
    const value = await namespace.getOrSet(
      key,
      async () => {
        missed = true;
        const body = await runHandler(next);
        produced = { body };
        return body;
      },
      load,
    );
    return of(value);
  } catch (outcome) {
    return settleFailedLoad(outcome, missed, produced, next, key, logger);
  }
}
