import { Logger } from '@nestjs/common';
import { asError } from '../errors/as-error';
import { loggedMessage } from '../logging/log-text';

/** State of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** When a circuit opens, how long it stays open, and who hears of its changes. */
export interface CircuitStateOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** First pause before a trial call; doubles on each failed trial up to `maxResetAfter`. */
  readonly resetAfter: number;
  readonly maxResetAfter: number;
  readonly onStateChange?: (state: CircuitState) => void;
  /**
   * Told when `onStateChange` or a watcher throws. The error never reaches the state machine or
   * the call that moved it: a throw there would leave the circuit half-open with no trial in
   * flight, refusing every call for good.
   * @default logged through Nest's `Logger` ('CacheCircuit')
   */
  readonly onWatcherError?: (error: Error, state: CircuitState) => void;
}

const logger = new Logger('CacheCircuit');

function logWatcherError(error: Error, state: CircuitState): void {
  logger.error(
    `a watcher of the circuit threw on '${state}': ${loggedMessage(error)}`,
    error.stack,
  );
}

/**
 * The states of a circuit and the moves between them, told the outcome of each call: closed
 * until `failureThreshold` consecutive failures open it; open for a pause, after which one trial
 * call finds it half-open; a failed trial opens it again for twice the pause (up to
 * `maxResetAfter`), a success closes it. `CircuitBreaker` extends it with the calls themselves.
 */
export class CircuitStateMachine {
  protected state: CircuitState = 'closed';
  /** When an open circuit lets a trial call through (epoch ms). */
  protected retryAt = 0;
  private failures = 0;
  private pause: number;
  private readonly watchers = new Set<(state: CircuitState) => void>();

  constructor(private readonly stateOptions: CircuitStateOptions) {
    this.pause = stateOptions.resetAfter;
  }

  /** The current state. */
  get current(): CircuitState {
    return this.state;
  }

  /**
   * Calls `listener` on every change of state, once the state has moved; returns a function that
   * stops it. A throw from `listener` goes to `onWatcherError`, never to the call that moved it.
   */
  watch(listener: (state: CircuitState) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Closes the circuit now, e.g. when the connection reports it is ready again. */
  reset(): void {
    this.failures = 0;
    this.pause = this.stateOptions.resetAfter;
    this.transition('closed');
  }

  /** A call succeeded: a trial's success closes the circuit. */
  protected succeeded(): void {
    this.failures = 0;
    if (this.state !== 'closed') this.reset();
  }

  /** A call failed for the backend's sake: counted toward opening, or a failed trial. */
  protected failed(): void {
    this.failures++;
    if (this.state === 'half-open') {
      this.pause = Math.min(this.pause * 2, this.stateOptions.maxResetAfter);
      this.open();
    } else if (this.failures >= this.stateOptions.failureThreshold) {
      this.open();
    }
  }

  /** Moves to `state`, then tells the watchers; none of them can undo or interrupt the move. */
  protected transition(state: CircuitState): void {
    if (this.state === state) return;
    this.state = state;
    const { onStateChange } = this.stateOptions;
    if (onStateChange) this.tell(onStateChange, state);
    for (const watcher of this.watchers) this.tell(watcher, state);
  }

  /** Drops every watcher (the breaker is closing). */
  protected forgetWatchers(): void {
    this.watchers.clear();
  }

  private tell(watcher: (state: CircuitState) => void, state: CircuitState): void {
    try {
      watcher(state);
    } catch (error) {
      try {
        (this.stateOptions.onWatcherError ?? logWatcherError)(asError(error), state);
      } catch {
        // The report failed too (a throwing reporter or logger): the circuit must still move,
        // and the call that moved it still be answered, so it goes unreported.
      }
    }
  }

  private open(): void {
    this.retryAt = Date.now() + this.pause;
    this.transition('open');
  }
}
