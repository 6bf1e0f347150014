import { CacheError, isUserError } from '../errors';

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

/** State of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Settings of a circuit breaker. */
export interface CircuitBreakerOptions {
  /** Names the backend in errors. */
  readonly name: string;
  /** Each call fails after this many ms. */
  readonly timeout: number;
  /** The hint of a timeout error (by default, Redis'). */
  readonly timeoutHint?: string;
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** First pause before a trial call; doubles on each failed trial up to `maxResetAfter`. */
  readonly resetAfter: number;
  readonly maxResetAfter: number;
  readonly onStateChange?: (state: CircuitState) => void;
  /**
   * Whether an error says the backend is unwell. Errors the backend answered with (a script's
   * error reply) prove it is up: they must not open the circuit.
   * @default every error
   */
  readonly isFault?: (error: Error) => boolean;
}

/**
 * Bounds every call to a backend in time and stops calling a backend that keeps failing: after
 * `failureThreshold` consecutive failures calls fail at once for `resetAfter` ms; then one trial
 * call goes through, and its success closes the circuit.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private pause: number;
  private retryAt = 0;
  // One sweeper for all calls in flight instead of a timer per call: calls are frequent, and
  // setTimeout + clearTimeout per call costs more than the bookkeeping of a set.
  private readonly inFlight = new Set<{ deadline: number; reject: (error: Error) => void }>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.pause = options.resetAfter;
  }

  /** The current state. */
  get current(): CircuitState {
    return this.state;
  }

  /** True when calls go through (closed, or due for a trial). */
  get available(): boolean {
    return this.state === 'closed' || (this.state === 'open' && Date.now() >= this.retryAt);
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.state !== 'closed') {
      if (this.state === 'half-open' || Date.now() < this.retryAt) {
        throw new CircuitOpenError(this.options.name);
      }
      this.transition('half-open');
    }
    try {
      const result = await this.withTimeout(call);
      this.succeeded();
      return result;
    } catch (error) {
      // A caller's mistake (a wrong type, a value too large) says nothing about the backend.
      if (!isUserError(error) && (this.options.isFault?.(error as Error) ?? true)) this.failed();
      else this.succeeded();
      throw error;
    }
  }

  /** Closes the circuit now, e.g. when the connection reports it is ready again. */
  reset(): void {
    this.failures = 0;
    this.pause = this.options.resetAfter;
    this.transition('closed');
  }

  /** Stops the sweeper; calls still in flight fail. */
  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.sweep(Infinity);
  }

  private withTimeout<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = { deadline: Date.now() + this.options.timeout, reject };
      this.inFlight.add(pending);
      this.sweeper ??= this.startSweeper();
      call().then(
        (value) => {
          this.inFlight.delete(pending);
          resolve(value);
        },
        (error: unknown) => {
          this.inFlight.delete(pending);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Checks deadlines every quarter timeout, so a call fails within 1.25 timeouts. */
  private startSweeper(): NodeJS.Timeout {
    const timer = setInterval(
      () => {
        this.sweep(Date.now());
        if (this.inFlight.size === 0) {
          clearInterval(timer);
          this.sweeper = undefined;
        }
      },
      Math.max(5, Math.floor(this.options.timeout / 4)),
    );
    timer.unref();
    return timer;
  }

  private sweep(now: number): void {
    for (const pending of this.inFlight) {
      if (pending.deadline > now) continue;
      this.inFlight.delete(pending);
      pending.reject(
        new CommandTimeoutError(this.options.name, this.options.timeout, this.options.timeoutHint),
      );
    }
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.state !== 'closed') this.reset();
  }

  private failed(): void {
    this.failures++;
    if (this.state === 'half-open') {
      this.pause = Math.min(this.pause * 2, this.options.maxResetAfter);
      this.open();
    } else if (this.failures >= this.options.failureThreshold) {
      this.open();
    }
  }

  private open(): void {
    this.retryAt = Date.now() + this.pause;
    this.transition('open');
  }

  private transition(state: CircuitState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onStateChange?.(state);
  }
}
