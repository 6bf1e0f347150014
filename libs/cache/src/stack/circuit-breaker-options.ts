import type { PendingCall } from './deadline-queue';
import type { CircuitStateOptions } from './circuit-state';

/** A call as `CircuitBreaker.attempt` runs it: queued by its deadline, answered by `succeed`. */
export interface BreakerCall<T> extends PendingCall {
  /** Ends the call with the backend's answer. */
  succeed(value: T): void;
}

/**
 * Settings of a circuit breaker: how its calls are bounded and judged, and when its circuit opens
 * (`CircuitStateOptions`).
 */
export interface CircuitBreakerOptions extends CircuitStateOptions {
  /** Names the backend in errors. */
  readonly name: string;
  /** Each call fails after this many ms. */
  readonly timeout: number;
  /** The hint of a timeout error (by default, Redis'). */
  readonly timeoutHint?: string;
  /**
   * Whether an error says the backend is unwell. Errors the backend answered with (a script's
   * error reply) prove it is up: they must not open the circuit.
   * @default every error
   */
  readonly isFault?: (error: Error) => boolean;
}
