import type { TierUsage } from '../tiers/cache-tier.interface';

/** Where the `entries` of a namespace's stats come from. */
export type HeldSource = 'memory' | 'shared' | 'unknown';

/** What a namespace holds, and where the figure comes from. */
export interface HeldUsage extends TierUsage {
  readonly source: HeldSource;
}

/** How long a count of the shared tier is reported before it is counted again. */
export const SHARED_COUNT_MS = 30_000;

/**
 * What a namespace without memory holds: the shared tier's own count (a SCAN on Redis, a
 * `count(*)` on PostgreSQL), taken in the background when asked for and older than
 * `SHARED_COUNT_MS`, one count at a time. Until the first count answers it is `unknown`, never 0.
 */
export class SharedUsage {
  private counted: TierUsage | undefined;
  private countedAt = 0;
  private counting = false;

  constructor(private readonly count: () => Promise<TierUsage | undefined>) {}

  /** The last count (counting again if it is old), or `unknown`. */
  current(): HeldUsage {
    if (!this.counting && Date.now() - this.countedAt >= SHARED_COUNT_MS) this.recount();
    return this.counted
      ? { ...this.counted, source: 'shared' }
      : { entries: 0, bytes: 0, persistent: 0, source: 'unknown' };
  }

  private recount(): void {
    this.counting = true;
    void this.count()
      .then((usage) => {
        if (usage === undefined) return;
        this.counted = usage;
        this.countedAt = Date.now();
      })
      .catch(() => undefined)
      .finally(() => (this.counting = false));
  }
}
