/**
 * The time one public call may spend waiting on its shared tier, all its calls together: a
 * `getOrSet` miss reads, maybe takes a lock and polls, then writes, and together they wait at
 * most one `commandTimeout`. Time spent elsewhere (the loader, the pauses of a lock wait) does
 * not count. Calls running side by side count once, as the span during which any is in flight.
 * A call made once the budget is spent fails at once.
 */
export class FarBudget {
  private spent = 0;
  private running = 0;
  private since = 0;

  constructor(
    /** The whole budget, in ms. */
    readonly limit: number,
  ) {}

  /** Starts a call now; returns the moment (epoch ms) it must have answered by. */
  open(now = Date.now()): number {
    const deadline = now + this.limit - this.spentBy(now);
    if (this.running++ === 0) this.since = now;
    return deadline;
  }

  /** Ends a call started by `open`; `_answered` when the backend answered it. */
  close(_answered = false): void {
    if (--this.running === 0) this.spent += Date.now() - this.since;
  }

  /**
   * A later deadline for a call past its own at `now`, or undefined: none here (one public call
   * waits at most its budget); a batch's calls wait while the batch is answered (`BatchBudget`).
   */
  renewal(_now: number): number | undefined {
    return undefined;
  }

  private spentBy(now: number): number {
    return this.spent + (this.running > 0 ? now - this.since : 0);
  }
}
