import {
  CacheError,
  InvalidKeyError,
  InvalidOptionError,
  InvalidValueError,
  ValueTooLargeError,
  WrongTypeError,
} from './cache.error';

/** A backend the namespace needs is failing; thrown in strict mode, or where no fallback exists. */
export class UnavailableError extends CacheError {
  constructor(namespace: string, operation: string, cause?: Error) {
    super(
      `cache namespace "${namespace}": ${operation} failed because its shared tier is unavailable${cause ? ` (${cause.message})` : ''}`,
      'E_CACHE_UNAVAILABLE',
      'the tier is retried automatically; add the memory tier to keep working while it is down',
    );
  }
}

/**
 * True for errors caused by the caller's input (they propagate), as opposed to backend faults
 * (which are absorbed unless strict).
 */
export function isUserError(error: unknown): boolean {
  return (
    error instanceof InvalidKeyError ||
    error instanceof InvalidValueError ||
    error instanceof InvalidOptionError ||
    error instanceof ValueTooLargeError ||
    error instanceof WrongTypeError ||
    (error instanceof CacheError && error.code === 'E_CACHE_CONFLICT')
  );
}
