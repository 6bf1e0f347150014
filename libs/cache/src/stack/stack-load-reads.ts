import type { CacheEntry } from '../tiers/cache-entry';
import type { Awaitable, LoadTicket } from '../tiers/cache-tier.interface';
import type { FarBudget } from './far-budget';
import type { FarGuard } from './far-guard';
import { StackReads } from './stack-reads';

/** What a load's first read found, and the ticket its store presents (shared tiers only). */
export interface LoadRead {
  readonly entry: CacheEntry | undefined;
  readonly ticket?: LoadTicket;
}

/**
 * The reads that start a load (`getOrSet`, `getOrSetMany`): `StackReads`' reads, each also
 * taking the ticket the load's store presents (see `CacheTier.readForLoad`).
 */
export class StackLoadReads extends StackReads {
  /** `read` at the start of a load, with the ticket `writeLoaded` presents (see `LoadRead`). */
  readForLoad(key: string, budget?: FarBudget): Awaitable<LoadRead> {
    return this.far ? this.readSharedForLoad(key, budget) : { entry: this.readNear(key) };
  }

  /**
   * `readMany` at the start of a batch load, in one call to the shared tier, with the ticket
   * each key's `writeLoaded` presents: none from a tier without tickets, the tier's unread ticket
   * when the read failed, and nothing found without a shared tier.
   */
  async readManyForLoad(keys: readonly string[], budget?: FarBudget): Promise<LoadRead[]> {
    if (!this.far || keys.length === 0) return keys.map(() => ({ entry: undefined }));
    // A read that fails vouches for nothing: the stores then present the unread ticket.
    const unread = this.far.tier.unreadTicket?.();
    let tickets: ReadonlyArray<LoadTicket | undefined> = keys.map(() => unread);
    return this.readManySharedWith(
      keys,
      async (far) => {
        if (far.readManyForLoad === undefined) return far.getMany(keys);
        const reads = await far.readManyForLoad(keys);
        tickets = reads.map((read) => read.ticket);
        return reads.map((read) => read.entry);
      },
      (entries) => entries.map((entry, i) => ({ entry, ticket: tickets[i] })),
      budget,
    );
  }

  /**
   * `readShared` at the start of a load, with the ticket its store presents (see
   * `CacheTier.readForLoad`); no ticket from a tier without one, the tier's unread ticket when
   * the read failed.
   */
  private readSharedForLoad(key: string, budget?: FarBudget): Promise<LoadRead> {
    // A read that fails vouches for nothing: the store then presents the unread ticket.
    let ticket = (this.far as FarGuard).tier.unreadTicket?.();
    return this.readSharedWith(
      key,
      async (far) => {
        if (far.readForLoad === undefined) return far.get(key);
        const read = await far.readForLoad(key);
        ticket = read.ticket;
        return read.entry;
      },
      (_, entry) => ({ entry, ticket }),
      budget,
    );
  }
}
