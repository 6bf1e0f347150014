import { FarBudget } from './far-budget';

/**
 * The budget of the calls of one batch sent at once (`setMany`): the backend answers them in
 * turn, so the last one waits behind all the others, and a deadline counted from its send alone
 * would fail the tail of any batch larger than the backend answers within one timeout (each a
 * timeout, counted against the circuit of every namespace on the backend). Here a call may wait
 * `limit` ms from the latest send or the latest answer of its batch, whichever is later (the
 * first calls of a large batch are sent while this process is still building the last): a batch
 * of any size is stored while the backend keeps answering it, and every call still fails `limit`
 * ms after the backend last answered (frozen, cut off).
 */
export class BatchBudget extends FarBudget {
  private movedAt = 0;

  /** Each call of the batch gets the whole limit from its send. */
  override open(now = Date.now()): number {
    this.movedAt = now;
    return now + this.limit;
  }

  /** A call ended; an answer of the backend (`answered`) moves the batch's deadline on. */
  override close(answered = false): void {
    if (answered) this.movedAt = Date.now();
  }

  /** The deadline a call of the batch has now: `limit` ms past its latest send or answer. */
  override renewal(now: number): number | undefined {
    const renewed = this.movedAt + this.limit;
    return renewed > now ? renewed : undefined;
  }
}
