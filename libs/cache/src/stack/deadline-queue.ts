/** A call waiting for the backend, with the moment it gives up (see `CircuitBreaker.attempt`). */
export interface PendingCall {
  /** Moved on only by `renewal`. */
  deadline: number;
  /** Ends the call with its failure: the backend's error, or a timeout at its deadline. */
  fail(error: unknown): void;
  /** Answered, or failed at its deadline. */
  done: boolean;
  /** Queued apart from the calls in deadline order (see `DeadlineQueue`). */
  apart: boolean;
  /** A later deadline for a call past its own at `now` (a batch still answered), or undefined. */
  renewal?(now: number): number | undefined;
}

/** What takes the place of a call moved apart from the ordered ones. */
const MOVED: PendingCall = { deadline: 0, done: true, apart: false, fail: () => undefined };

/**
 * The calls in flight on one backend, by deadline. Nearly every call gets "now + timeout", so
 * calls arrive in deadline order: they queue, a call that is answered is only marked, and marked
 * calls leave as they reach the front (a set would pay an insertion and a deletion per call, on
 * every tier call). A call with an earlier deadline (what is left of a spent budget) waits apart.
 */
export class DeadlineQueue {
  private readonly ordered: Array<PendingCall | undefined> = [];
  private head = 0;
  private readonly others = new Set<PendingCall>();

  /** Queues a call. */
  add(pending: PendingCall): void {
    const last =
      this.ordered.length > this.head ? this.ordered[this.ordered.length - 1] : undefined;
    if (last === undefined || pending.deadline >= last.deadline) {
      this.ordered.push(pending);
    } else {
      pending.apart = true;
      this.others.add(pending);
    }
  }

  /** Marks a call done; false when it was done already (it timed out). */
  settle(pending: PendingCall): boolean {
    if (pending.done) return false;
    pending.done = true;
    if (pending.apart) this.others.delete(pending);
    else this.trim();
    return true;
  }

  /**
   * Takes out the calls due by `now` (every call at `Infinity`), but a call that is given a later
   * deadline (`renewal`) waits on, apart; returns the earliest deadline left.
   */
  due(now: number): { due: PendingCall[]; next: number } {
    const due: PendingCall[] = [];
    let next = Infinity;
    for (let i = this.head; i < this.ordered.length; i++) {
      const pending = this.ordered[i] as PendingCall;
      if (pending.done) continue;
      if (pending.deadline > now) {
        next = pending.deadline;
        break;
      }
      if (this.renewed(pending, now)) {
        this.ordered[i] = MOVED;
        pending.apart = true;
        this.others.add(pending);
        continue;
      }
      pending.done = true;
      due.push(pending);
    }
    for (const pending of this.others) {
      if (pending.deadline > now || this.renewed(pending, now)) {
        next = Math.min(next, pending.deadline);
        continue;
      }
      this.others.delete(pending);
      pending.done = true;
      due.push(pending);
    }
    this.trim();
    return { due, next };
  }

  /** Whether `pending`, due at `now`, was given a later deadline. */
  private renewed(pending: PendingCall, now: number): boolean {
    const deadline = now === Infinity ? undefined : pending.renewal?.(now);
    if (deadline === undefined || deadline <= now) return false;
    pending.deadline = deadline;
    return true;
  }

  /** Drops the done calls at the front; keeps the array from growing without bound. */
  private trim(): void {
    while (this.head < this.ordered.length && (this.ordered[this.head] as PendingCall).done) {
      this.ordered[this.head++] = undefined;
    }
    if (this.head === this.ordered.length) {
      this.ordered.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.ordered.length) {
      this.ordered.splice(0, this.head);
      this.head = 0;
    }
  }
}
