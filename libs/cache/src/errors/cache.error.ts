/** Brands errors that are cache errors without extending CacheError. */
const CACHE_ERROR_CODE = Symbol.for('cache.errorCode');

/**
 * Base class of every error this module throws. `code` is stable (`E_CACHE_...`) so callers can
 * branch on it; `hint` says how to fix the cause.
 */
export class CacheError extends Error {
  /**
   * Also true for the few errors that must be a built-in error type too (an `undefined` value is
   * a `TypeError` by contract): they carry `code` and are matched by it, since a class cannot
   * extend both `TypeError` and `CacheError`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const code = (value as { [CACHE_ERROR_CODE]?: string } | null)?.[CACHE_ERROR_CODE];
    return code !== undefined && (this === CacheError || code === (this as { code?: string }).code);
  }

  constructor(
    message: string,
    /** Stable machine-readable code, e.g. `E_CACHE_INVALID_KEY`. */
    readonly code: string,
    /** How to fix it. */
    readonly hint?: string,
  ) {
    super(hint ? `${message} (hint: ${hint})` : message);
    this.name = new.target.name;
  }
}

/** A key is not a non-empty, well-formed string without NUL of at most 1024 UTF-8 bytes. */
export class InvalidKeyError extends CacheError {
  constructor(message: string) {
    super(
      message,
      'E_CACHE_INVALID_KEY',
      'keys are non-empty, well-formed Unicode strings without NUL, of at most 1024 UTF-8 bytes',
    );
  }
}

/** A value (or patch) cannot be stored: undefined, circular, a function, a Map... */
export class InvalidValueError extends CacheError {
  static readonly code = 'E_CACHE_INVALID_VALUE';

  constructor(message: string, hint?: string) {
    super(message, 'E_CACHE_INVALID_VALUE', hint);
  }
}

/**
 * `set(key, undefined)`: a `TypeError`, and also an `InvalidValueError` with code
 * `E_CACHE_INVALID_VALUE` (see `CacheError[Symbol.hasInstance]`).
 */
export class UndefinedValueError extends TypeError {
  readonly code = InvalidValueError.code;
  readonly [CACHE_ERROR_CODE] = InvalidValueError.code;
  readonly hint = 'store null to cache an absent value';

  constructor(label: string) {
    super(`${label} is undefined (hint: store null to cache an absent value)`);
    this.name = 'UndefinedValueError';
  }
}

/** A value is larger than the cache may hold (`maxValueBytes`, or a namespace's `maxBytes`). */
export class ValueTooLargeError extends CacheError {
  constructor(message: string) {
    super(
      message,
      'E_CACHE_VALUE_TOO_LARGE',
      'store smaller values, or raise maxValueBytes / memory.maxBytes',
    );
  }
}

/** An option (module, namespace or per-call) is malformed; the message names its path. */
export class InvalidOptionError extends CacheError {
  constructor(message: string, hint?: string) {
    super(message, 'E_CACHE_INVALID_OPTION', hint);
  }
}

/** `CacheService.namespace(name)` or `@InjectCache(name)` named a namespace nobody registered. */
export class UnknownNamespaceError extends CacheError {
  constructor(name: string, known: readonly string[]) {
    super(
      `unknown cache namespace "${name}"; known namespaces: ${known.length ? known.map((n) => `"${n}"`).join(', ') : '(none)'}`,
      'E_CACHE_UNKNOWN_NAMESPACE',
      'declare it in CacheModule.forRoot({ namespaces }) or CacheModule.forFeature([...])',
    );
  }
}

/** One namespace name was registered twice with different settings. */
export class NamespaceConflictError extends CacheError {
  constructor(name: string, first: string, second: string, difference: string) {
    super(
      `cache namespace "${name}" is registered twice with different settings (${difference}): at ${first} and at ${second}`,
      'E_CACHE_NAMESPACE_CONFLICT',
      'give both registrations the same settings, or use distinct names',
    );
  }
}

/** An operation needs a value of another type (increment on a string, update on a number). */
export class WrongTypeError extends CacheError {
  constructor(message: string) {
    super(message, 'E_CACHE_WRONG_TYPE');
  }
}

/** The namespace was used after the application shut down. */
export class CacheClosedError extends CacheError {
  constructor(name: string) {
    super(
      `cache namespace "${name}" is closed`,
      'E_CACHE_CLOSED',
      'the application is shutting down',
    );
  }
}
