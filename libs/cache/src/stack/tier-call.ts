import { asError } from '../errors/as-error';
import type { BreakerCall } from './circuit-breaker-options';
import type { Awaitable, CacheTier } from '../tiers/cache-tier.interface';
import type { FarBudget } from './far-budget';

/** What a tier call does on the tier, given the call's key. */
export type TierRun<T> = (tier: CacheTier, key: string | undefined) => Awaitable<T>;

/**
 * What the caller makes of a tier call's outcome (its answer, or the fallback for a fault, then
 * `failed`), run in the call's own settlement: a step after the call without a promise of its own.
 */
export type TierOutcome<T, R> = (key: string | undefined, value: T, failed: boolean) => R;

/** Where a tier call's fault goes: answered by a fallback value, or thrown (see `FarGuard`). */
export type FaultAbsorber = <T>(
  operation: string,
  key: string | undefined,
  error: unknown,
  degrade: (key: string | undefined) => T,
) => T;

/**
 * One call of a namespace to its shared tier, from the breaker's queue to the caller's promise:
 * the one object a tier call allocates besides its promise (a tier call is the hot path of every
 * read and write below memory). Its answer resolves the promise; its failure is absorbed (a
 * fallback value) or rejects it; either way the budget it drew from is closed.
 */
export class TierCall<T, R = T> implements BreakerCall<T> {
  done = false;
  apart = false;
  /** Set when the call failed: what the diagnostics channel reports. */
  failure: unknown = undefined;
  /** The promise the call settles. */
  readonly answer: Promise<R>;
  private resolve!: (value: R) => void;
  private reject!: (error: Error) => void;

  constructor(
    private readonly tier: CacheTier,
    /** Moved on only while the call's batch is answered (see `renewal`). */
    public deadline: number,
    private readonly operation: string,
    private readonly key: string | undefined,
    private readonly run: TierRun<T>,
    private readonly degrade: (key: string | undefined) => T,
    private readonly budget: FarBudget | undefined,
    private readonly absorb: FaultAbsorber,
    private readonly outcome: TierOutcome<T, R> | undefined,
  ) {
    this.answer = new Promise<R>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Sends the call to the tier. */
  send(): Awaitable<T> {
    return this.run(this.tier, this.key);
  }

  succeed(value: T): void {
    this.budget?.close(true);
    this.settle(value, false);
  }

  fail(error: unknown): void {
    this.budget?.close();
    this.failure = error;
    let fallback: T;
    try {
      fallback = this.absorb(this.operation, this.key, error, this.degrade);
    } catch (thrown) {
      this.reject(asError(thrown));
      return;
    }
    this.settle(fallback, true);
  }

  /** A later deadline while the call's batch is being answered (see `BatchBudget`). */
  renewal(now: number): number | undefined {
    return this.budget?.renewal(now);
  }

  /** Resolves the answer with what the caller makes of `value`; what it throws rejects it. */
  private settle(value: T, failed: boolean): void {
    if (this.outcome === undefined) {
      this.resolve(value as unknown as R);
      return;
    }
    try {
      this.resolve(this.outcome(this.key, value, failed));
    } catch (thrown) {
      this.reject(asError(thrown));
    }
  }
}
