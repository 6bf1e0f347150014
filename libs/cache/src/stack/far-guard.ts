import { asError } from '../errors/as-error';
import { isUserError, UnavailableError } from '../errors/fault';
import { diagnostics } from '../metrics/diagnostics';
import type { Awaitable, CacheTier } from '../tiers/cache-tier.interface';
import type { CircuitBreaker } from './circuit-breaker';
import { FarBudget } from './far-budget';

/** Told about a backend fault that was absorbed (or, when strict, thrown). */
export type FaultListener = (operation: string, error: Error, key?: string) => void;

/**
 * Every call a namespace makes to its shared tier (Redis or PostgreSQL) goes through here, in
 * one place: the circuit breaker bounds the whole tier call by one deadline and stops calling a
 * backend that keeps failing; a public call that makes several tier calls passes one `FarBudget`
 * to all of them, so together they wait at most one timeout; a fault is reported, then answered by the caller's `degrade`, or
 * thrown as `UnavailableError` when the module is `strict`; with a subscriber on the tier
 * diagnostics channel every call is timed and published. A caller's mistake (a bad value, a
 * wrong type) is thrown as it is and never opens the circuit.
 */
export class FarGuard {
  constructor(
    /** The guarded tier. */
    readonly tier: CacheTier,
    private readonly namespace: string,
    /** Shared by every namespace on one backend; absent for a stand-in tier in specs. */
    private readonly breaker: CircuitBreaker | undefined,
    private readonly strict: boolean,
    private readonly onFault: FaultListener,
  ) {}

  /**
   * A budget for the tier calls of one public call (one timeout for them all); undefined when
   * nothing bounds the tier (a stand-in in specs).
   */
  budget(): FarBudget | undefined {
    return this.breaker && new FarBudget(this.breaker.timeout);
  }

  /**
   * Calls the tier; a fault is reported and answered by `degrade()` unless strict. Without a
   * `budget` the call has a timeout of its own; with one, it has what is left of it.
   */
  call<T>(
    operation: string,
    key: string | undefined,
    run: (tier: CacheTier) => Awaitable<T>,
    degrade: () => T,
    budget?: FarBudget,
  ): Promise<T> {
    if (diagnostics.tier.hasSubscribers) return this.traced(operation, key, run, degrade, budget);
    return this.bounded(operation, key, run, degrade, budget);
  }

  /**
   * The tier call under the breaker, one deadline for all the commands it sends, its fault
   * absorbed. Every tier call of the namespace passes here, so it builds one promise and settles
   * it from the tier's own (no async layers in between).
   */
  private bounded<T>(
    operation: string,
    key: string | undefined,
    run: (tier: CacheTier) => Awaitable<T>,
    degrade: () => T,
    budget: FarBudget | undefined,
    trace?: { failure?: unknown },
  ): Promise<T> {
    const breaker = this.breaker;
    if (breaker === undefined) {
      return new Promise<T>((resolve) => resolve(run(this.tier))).catch((error: unknown) => {
        if (trace) trace.failure = error;
        return this.absorb(operation, key, error, degrade);
      });
    }
    return new Promise<T>((resolve, reject) => {
      breaker.attempt(
        budget ? budget.open() : Date.now() + breaker.timeout,
        () => run(this.tier),
        (value) => {
          budget?.close();
          resolve(value);
        },
        (error) => {
          budget?.close();
          if (trace) trace.failure = error;
          try {
            resolve(this.absorb(operation, key, error, degrade));
          } catch (thrown) {
            reject(asError(thrown));
          }
        },
      );
    });
  }

  private absorb<T>(
    operation: string,
    key: string | undefined,
    error: unknown,
    degrade: () => T,
  ): T {
    if (isUserError(error)) throw error;
    const fault = asError(error);
    this.onFault(operation, fault, key);
    if (this.strict) throw new UnavailableError(this.namespace, operation, fault);
    return degrade();
  }

  /** `call`, timed and published on the tier diagnostics channel. */
  private async traced<T>(
    operation: string,
    key: string | undefined,
    run: (tier: CacheTier) => Awaitable<T>,
    degrade: () => T,
    budget: FarBudget | undefined,
  ): Promise<T> {
    const started = performance.now();
    const trace: { failure?: unknown } = {};
    try {
      return await this.bounded(operation, key, run, degrade, budget, trace);
    } catch (error) {
      trace.failure ??= error;
      throw error;
    } finally {
      diagnostics.tier.publish({
        namespace: this.namespace,
        tier: this.tier.kind,
        operation,
        ...(key !== undefined && { key }),
        durationMs: performance.now() - started,
        ...(trace.failure !== undefined && { error: trace.failure }),
      });
    }
  }
}
