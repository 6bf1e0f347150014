import { asError } from '../errors/as-error';
import { isUserError, UnavailableError } from '../errors/fault';
import { diagnostics } from '../metrics/diagnostics';
import type { Awaitable, CacheTier } from '../tiers/cache-tier.interface';
import type { CircuitBreaker } from './circuit-breaker';
import { BatchBudget } from './batch-budget';
import { FarBudget } from './far-budget';
import { TierCall, type FaultAbsorber, type TierOutcome, type TierRun } from './tier-call';

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
   * A budget for the calls of one batch sent at once (see `BatchBudget`); undefined when nothing
   * bounds the tier.
   */
  batchBudget(): FarBudget | undefined {
    return this.breaker && new BatchBudget(this.breaker.timeout);
  }

  /**
   * Calls the tier; a fault is reported and answered by `degrade(key)` unless strict. Without a
   * `budget` the call has a timeout of its own; with one, it has what is left of it. `run` and
   * `degrade` are given the tier and the key, so a caller can pass functions made once.
   * `outcome`, when given, is what the answer resolves to, made of the tier's answer or of
   * `degrade`'s (the caller's next step, without a promise of its own).
   */
  call<T, R = T>(
    operation: string,
    key: string | undefined,
    run: TierRun<T>,
    degrade: (key: string | undefined) => T,
    budget?: FarBudget,
    outcome?: TierOutcome<T, R>,
  ): Promise<R> {
    if (diagnostics.tier.hasSubscribers) {
      return this.traced(operation, key, run, degrade, budget, outcome);
    }
    return this.send(operation, key, run, degrade, budget, outcome).answer;
  }

  /**
   * The tier call under the breaker, one deadline for all the commands it sends, its fault
   * absorbed. Every tier call of the namespace passes here: one `TierCall` and its promise,
   * settled from the tier's own (no async layers in between).
   */
  private send<T, R>(
    operation: string,
    key: string | undefined,
    run: TierRun<T>,
    degrade: (key: string | undefined) => T,
    budget: FarBudget | undefined,
    outcome: TierOutcome<T, R> | undefined,
  ): TierCall<T, R> {
    const breaker = this.breaker;
    const now = breaker ? Date.now() : 0;
    const deadline = breaker ? (budget ? budget.open(now) : now + breaker.timeout) : Infinity;
    const call = new TierCall(
      this.tier,
      deadline,
      operation,
      key,
      run,
      degrade,
      budget,
      this.absorber,
      outcome,
    );
    if (breaker) {
      // Never throws: a refusal fails the call, the tier's throw is caught inside, and the
      // circuit reports a throwing state watcher to its own onWatcherError.
      breaker.attempt(call, sendCall, call, now);
      return call;
    }
    // No breaker (a stand-in tier in specs): nothing bounds the call.
    try {
      Promise.resolve(call.send()).then(
        (value) => call.succeed(value),
        (error: unknown) => call.fail(error),
      );
    } catch (error) {
      call.fail(error);
    }
    return call;
  }

  /** A fault of a tier call: thrown when the caller's or when strict, else reported and degraded. */
  private readonly absorber: FaultAbsorber = (operation, key, error, degrade) => {
    if (isUserError(error)) throw error;
    const fault = asError(error);
    this.onFault(operation, fault, key);
    if (this.strict) throw new UnavailableError(this.namespace, operation, fault);
    return degrade(key);
  };

  /** `call`, timed and published on the tier diagnostics channel. */
  private async traced<T, R>(
    operation: string,
    key: string | undefined,
    run: TierRun<T>,
    degrade: (key: string | undefined) => T,
    budget: FarBudget | undefined,
    outcome: TierOutcome<T, R> | undefined,
  ): Promise<R> {
    const started = performance.now();
    const call = this.send(operation, key, run, degrade, budget, outcome);
    let failure: unknown;
    try {
      return await call.answer;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      failure = call.failure ?? failure;
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

/** The breaker's call of a `TierCall`: a function made once, where a closure would be per call. */
function sendCall<T, R>(call: TierCall<T, R>): Awaitable<T> {
  return call.send();
}
