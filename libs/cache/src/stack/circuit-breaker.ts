import { asError } from '../errors/as-error';
import { isUserError } from '../errors/fault';
import type { BreakerCall, CircuitBreakerOptions } from './circuit-breaker-options';
import { CommandTimeoutError, CircuitOpenError } from './circuit-errors';
import { CircuitStateMachine } from './circuit-state';
import { DeadlineQueue, type PendingCall } from './deadline-queue';

/**
 * Bounds every call to a backend in time and stops calling a backend that keeps failing: after
 * `failureThreshold` consecutive failures calls fail at once for `resetAfter` ms; then one trial
 * call goes through, and its success closes the circuit (the states: `CircuitStateMachine`).
 */
export class CircuitBreaker extends CircuitStateMachine {
  // One timer for all calls in flight, set for the earliest deadline, instead of a timer per
  // call: calls are frequent, and setTimeout + clearTimeout per call costs more than queueing.
  // Deadlines mostly come in order, so the timer is rarely moved.
  private readonly inFlight = new DeadlineQueue();
  private timer?: NodeJS.Timeout;
  private verdict?: NodeJS.Immediate;
  private timerAt = Infinity;

  constructor(private readonly options: CircuitBreakerOptions) {
    super(options);
  }

  /** How long one call may take, in ms. */
  get timeout(): number {
    return this.options.timeout;
  }

  /**
   * Runs `call`, failing it with `CommandTimeoutError` at `deadline` (epoch ms; by default the
   * timeout from now). A call whose deadline has already passed fails at once without reaching
   * the backend, and says nothing about the backend's health.
   */
  run<T>(call: () => Promise<T>, deadline = Date.now() + this.options.timeout): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: BreakerCall<T> = {
        deadline,
        done: false,
        apart: false,
        succeed: resolve,
        fail: (error) => reject(asError(error)),
      };
      this.attempt(pending, call, undefined);
    });
  }

  /**
   * `run` without a promise of its own, for callers that build theirs (the hot path of a tier
   * call): `send(argument)` is the call (no closure per call), and exactly one of `pending`'s
   * `succeed` and `fail` is called, once. A refusal (the deadline passed, the circuit is open)
   * comes before `send` runs and says nothing about the backend's health; a call may answer
   * synchronously. `now` spares a second reading of the clock to a caller that just took one.
   */
  attempt<T, A>(
    pending: BreakerCall<T>,
    send: (argument: A) => T | PromiseLike<T>,
    argument: A,
    now = Date.now(),
  ): void {
    const refusal = this.admit(pending.deadline, now);
    if (refusal) return pending.fail(refusal);
    this.inFlight.add(pending);
    if (pending.deadline < this.timerAt) this.arm(pending.deadline);
    let result: T | PromiseLike<T>;
    try {
      result = send(argument);
    } catch (error) {
      if (this.settle(pending, error)) pending.fail(error);
      return;
    }
    // Any thenable is waited for (a promise of another library or realm included).
    if (!isThenable(result)) {
      if (this.settle(pending)) pending.succeed(result);
      return;
    }
    result.then(
      (value) => {
        if (this.settle(pending)) pending.succeed(value);
      },
      (error: unknown) => {
        if (this.settle(pending, error)) pending.fail(error);
      },
    );
  }

  /** The error that refuses a call at `now` (its deadline passed, or the circuit is open). */
  private admit(deadline: number, now: number): Error | undefined {
    if (deadline <= now) {
      return new CommandTimeoutError(
        this.options.name,
        this.options.timeout,
        this.options.timeoutHint,
      );
    }
    if (this.state !== 'closed') {
      if (this.state === 'half-open' || now < this.retryAt) {
        return new CircuitOpenError(this.options.name);
      }
      this.transition('half-open');
    }
    return undefined;
  }

  /**
   * Ends a tracked call with its outcome (`error` absent on success) and counts it for the
   * circuit; false when the call had already timed out (its outcome then counts for nothing).
   */
  private settle(pending: PendingCall, error?: unknown): boolean {
    if (!this.inFlight.settle(pending)) return false;
    // A caller's mistake (a wrong type, a value too large) says nothing about the backend.
    if (
      error !== undefined &&
      !isUserError(error) &&
      (this.options.isFault?.(error as Error) ?? true)
    ) {
      this.failed();
    } else {
      this.succeeded();
    }
    return true;
  }

  /** Stops the timer; calls still in flight fail. */
  close(): void {
    clearTimeout(this.timer);
    clearImmediate(this.verdict);
    this.timer = undefined;
    this.verdict = undefined;
    this.timerAt = Infinity;
    this.expire(Infinity);
    this.forgetWatchers();
  }

  /** Sets the one timer for `at`: a call fails at its deadline, not a fraction of a timeout later. */
  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        // Fired late, the process was busy: the verdict waits for the answers that arrived
        // meanwhile (sockets are read before immediates run), so a call answered in time does
        // not fail for the process's own delay, nor a batch whose answers it had not read yet.
        if (Date.now() > at) this.verdict = setImmediate(this.judge);
        else this.judge();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  /** Fails the calls due now, and sets the timer for the next deadline. */
  private readonly judge = (): void => {
    this.verdict = undefined;
    this.timerAt = Infinity;
    const next = this.expire(Date.now());
    if (next !== Infinity) this.arm(next);
  };

  /** Fails the calls due by `now` (all of them at `Infinity`); returns the earliest still ahead. */
  private expire(now: number): number {
    const { due, next } = this.inFlight.due(now);
    // A timeout is a fault of the backend; calls failed by `close` are not. All are counted
    // before any caller hears: calls that timed out together see the circuit they opened.
    if (now !== Infinity) for (let i = 0; i < due.length; i++) this.failed();
    for (const pending of due) {
      pending.fail(
        new CommandTimeoutError(this.options.name, this.options.timeout, this.options.timeoutHint),
      );
    }
    return next;
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value instanceof Promise ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function')
  );
}
