import { isUserError, UnavailableError } from '../errors';
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
  async call<T>(
    operation: string,
    key: string | undefined,
    run: (tier: CacheTier) => Awaitable<T>,
    degrade: () => T,
    budget?: FarBudget,
  ): Promise<T> {
    if (diagnostics.tier.hasSubscribers) return this.traced(operation, key, run, degrade, budget);
    try {
      return await this.bounded(run, budget);
    } catch (error) {
      return this.absorb(operation, key, error, degrade);
    }
  }

  /** The tier call under the breaker: one deadline for all the commands it sends. */
  private bounded<T>(
    run: (tier: CacheTier) => Awaitable<T>,
    budget: FarBudget | undefined,
  ): Awaitable<T> {
    const breaker = this.breaker;
    if (breaker === undefined) return run(this.tier);
    if (budget === undefined) return breaker.run(async () => run(this.tier));
    return breaker.run(async () => run(this.tier), budget.open()).finally(() => budget.close());
  }

  private absorb<T>(
    operation: string,
    key: string | undefined,
    error: unknown,
    degrade: () => T,
  ): T {
    if (isUserError(error)) throw error;
    const fault = error instanceof Error ? error : new Error(String(error));
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
    let failure: unknown;
    try {
      return await this.bounded(run, budget);
    } catch (error) {
      failure = error;
      return this.absorb(operation, key, error, degrade);
    } finally {
      diagnostics.tier.publish({
        namespace: this.namespace,
        tier: this.tier.kind,
        operation,
        ...(key !== undefined && { key }),
        durationMs: performance.now() - started,
        ...(failure !== undefined && { error: failure }),
      });
    }
  }
}
