import { CacheError } from '../errors/cache.error';

/** The breaker refused a call because the backend failed repeatedly; it retries on its own. */
export class CircuitOpenError extends CacheError {
  constructor(name: string) {
    super(
      `${name} is unavailable (circuit open)`,
      'E_CACHE_UNAVAILABLE',
      'it is retried automatically',
    );
  }
}

/** A call to the backend took longer than its timeout. */
export class CommandTimeoutError extends CacheError {
  constructor(name: string, ms: number, hint = 'raise redis.commandTimeout or check the server') {
    super(`${name} did not answer within ${ms}ms`, 'E_CACHE_TIMEOUT', hint);
  }
}
