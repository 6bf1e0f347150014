import { isUserError, UnavailableError } from '../errors';
import { diagnostics } from '../metrics/diagnostics';
import type { Awaitable, CacheTier } from '../tiers/cache-tier.interface';
import type { CircuitBreaker } from './circuit-breaker';

/** Told about a backend fault that was absorbed (or, when strict, thrown). */
export type FaultListener = (operation: string, error: Error, key?: string) => void;

/**
 * Every call a namespace makes to its shared tier (Redis or PostgreSQL) goes through here, in
 * one place: the circuit breaker bounds the whole tier call by one deadline and stops calling a
 * backend that keeps failing; a fault is reported, then answered by the caller's `degrade`, or
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

  /** Calls the tier; a fault is reported and answered by `degrade()` unless strict. */
  async call<T>(
    operation: string,
    key: string | undefined,
    run: (tier: CacheTier) => Awaitable<T>,
    degrade: () => T,
  ): Promise<T> {
    if (diagnostics.tier.hasSubscribers) return this.traced(operation, key, run, degrade);
    try {
      return await this.bounded(run);
    } catch (error) {
      return this.absorb(operation, key, error, degrade);
    }
  }

  /** The tier call under the breaker: one deadline for all the commands it sends. */
  private bounded<T>(run: (tier: CacheTier) => Awaitable<T>): Awaitable<T> {
    const breaker = this.breaker;
    if (breaker === undefined) return run(this.tier);
    return breaker.run(async () => run(this.tier));
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
  ): Promise<T> {
    const started = performance.now();
    let failure: unknown;
    try {
      return await this.bounded(run);
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
