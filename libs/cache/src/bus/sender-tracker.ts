/**
 * How far clocks may disagree when a receiver compares a sender's "previous message" time with
 * the time it started listening; both are read on the transport server's clock, so this only
 * covers the round trips. Erring on the side of a gap costs a cleared memory tier, never a stale
 * read.
 */
const CLOCK_MARGIN = 1000;

/** Senders remembered at most; the least recently heard is forgotten first. */
const MAX_SENDERS = 10_000;

/**
 * The last sequence number heard from each sender since this instance (re)started listening,
 * and whether a message reveals that some were missed.
 */
export class SenderTracker {
  private readonly last = new Map<string, number>();
  private listeningSince: number | undefined;

  /** Forgets every sender and stops judging: not listening, memory will be cleared when back. */
  reset(): void {
    this.last.clear();
    this.listeningSince = undefined;
  }

  /**
   * Listening (re)started at `since` (server clock), with memory cleared: what a sender sent
   * before does not matter, what it sent after should all arrive. Senders heard since the
   * subscription took effect are kept.
   */
  listening(since: number): void {
    this.listeningSince = since;
  }

  /**
   * Records message `seq` of `sender`, sent `previousAt` after its previous one; returns how
   * many of its messages were missed (at most that many for a sender first heard mid-stream),
   * 0 when none.
   */
  check(sender: string, seq: number | undefined, previousAt: number | undefined): number {
    // A sender without sequence numbers (an older version) cannot be checked.
    if (seq === undefined) return 0;
    const last = this.last.get(sender);
    if (last !== undefined && seq <= last) return 0; // late or repeated: nothing new is missing
    this.last.delete(sender);
    if (this.last.size >= MAX_SENDERS) this.last.delete(this.last.keys().next().value as string);
    this.last.set(sender, seq);
    if (last !== undefined) return seq - last - 1;
    // First heard. Its earlier messages matter only if sent after this instance was listening
    // (it would have heard them): the previous one's time says.
    if (seq === 1 || this.listeningSince === undefined) return 0;
    if (previousAt !== undefined && previousAt < this.listeningSince - CLOCK_MARGIN) return 0;
    return seq - 1;
  }
}
