import type { CacheEntry } from '../tiers/cache-entry';
import type { Awaitable, LoadTicket } from '../tiers/cache-tier.interface';
import type { FarBudget } from './far-budget';
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
   * each key's `writeLoaded` presents: none from a tier without tickets or when the read failed,
   * and nothing found without a shared tier.
   */
  async readManyForLoad(keys: readonly string[], budget?: FarBudget): Promise<LoadRead[]> {
    if (!this.far || keys.length === 0) return keys.map(() => ({ entry: undefined }));
    let tickets: ReadonlyArray<LoadTicket | undefined> = [];
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
   * `CacheTier.readForLoad`); no ticket from a tier without one, or when the read failed.
   */
  private readSharedForLoad(key: string, budget?: FarBudget): Promise<LoadRead> {
    let ticket: LoadTicket | undefined;
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
