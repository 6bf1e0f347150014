import { PersistenceLevel } from '../options/persistence-level';
import type { LockOperations } from '../loading/locked-load';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import type { Awaitable, CacheTier, LoadTicket } from '../tiers/cache-tier.interface';
import type { MemoryTier } from '../tiers/memory.tier';
import type { FarBudget } from './far-budget';
import type { FarGuard } from './far-guard';
import { guardedLock } from './guarded-lock';
import { inTurn, missingFrom, takesTurn, turnFor } from './persistence-turn';
import { restoreEntries, type RestoredEntries, type RestoreFailure } from './restore';
import { StackCore, type LoadRead } from './stack-core';
import { UNAVAILABLE } from './stack-types';

/** The answer of a write done within the call: one settled promise, shared. */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * The tiers of one namespace and everything that keeps them in step: memory (near) in front of a
 * shared tier (far) behind its guard, the bus channel that keeps other instances' memory
 * coherent, and the persistence sink. It alone fans a write out (far, near, bus, persistence, in
 * that order), decides what the table drops, and fills memory from the shared tier with the
 * version check that keeps an invalidation from being undone by a read in flight. It counts
 * nothing and emits nothing: it tells its `StackListener`.
 */
export class TierStack extends StackCore {
  /**
   * Reads `key` below memory: the shared tier's entry, fresh or stale (within grace), copied into
   * memory when fresh; memory's own entry, at once, when there is no shared tier.
   */
  read(key: string, budget?: FarBudget): Awaitable<CacheEntry | undefined> {
    return this.far ? this.readShared(key, budget) : this.readNear(key);
  }

  /**
   * One budget for the shared-tier calls of one public call (see `FarBudget`); undefined without
   * a bounded shared tier.
   */
  budget(): FarBudget | undefined {
    return this.far?.budget();
  }

  /** True when the shared tier issues load tickets (see `CacheTier.readForLoad`). */
  get tickets(): boolean {
    return this.far?.tier.readForLoad !== undefined;
  }

  /** `read` at the start of a load, with the ticket `writeLoaded` presents (see `LoadRead`). */
  readForLoad(key: string, budget?: FarBudget): Awaitable<LoadRead> {
    return this.far ? this.readSharedForLoad(key, budget) : { entry: this.readNear(key) };
  }

  /** `read` for many keys in one call to the shared tier; none without one. */
  readMany(keys: readonly string[]): Awaitable<ReadonlyArray<CacheEntry | undefined>> {
    return this.far ? this.readManyShared(keys) : [];
  }

  /**
   * `readMany` at the start of a batch load, in one call to the shared tier, with the ticket
   * each key's `writeLoaded` presents: none from a tier without tickets or when the read failed,
   * and nothing found without a shared tier.
   */
  async readManyForLoad(keys: readonly string[], budget?: FarBudget): Promise<LoadRead[]> {
    if (!this.far || keys.length === 0) return keys.map(() => ({ entry: undefined }));
    let tickets: ReadonlyArray<LoadTicket | undefined> = [];
    const entries = await this.readManyShared(
      keys,
      async (far) => {
        if (far.readManyForLoad === undefined) return far.getMany(keys);
        const reads = await far.readManyForLoad(keys);
        tickets = reads.map((read) => read.ticket);
        return reads.map((read) => read.entry);
      },
      budget,
    );
    return entries.map((entry, i) => ({ entry, ticket: tickets[i] }));
  }

  /** A query on the deciding tier (index lookups), degraded to memory on a fault. */
  async query<T>(
    operation: string,
    run: (tier: CacheTier) => Awaitable<T>,
    fallback: T,
  ): Promise<T> {
    if (!this.far) return run(this.near as MemoryTier);
    return this.far.call(operation, undefined, run, () =>
      this.near ? (run(this.near) as T) : fallback,
    );
  }

  /** The lock calls of a locked load, each degraded on a fault, all within `budget`. */
  lockOn(key: string, ttl: number, budget?: FarBudget): LockOperations {
    return guardedLock(this.far as FarGuard, key, ttl, budget);
  }

  /** `write`, timed for the latency histograms; memory alone is written within this call. */
  set(key: string, entry: CacheEntry): Promise<void> {
    if (this.metrics || takesTurn(this.persistence, entry)) {
      return this.write(key, entry, undefined, true);
    }
    // Nothing timed or persisted: the shared tier's write chained (no async frame on the hot
    // path), or memory alone written now and answered with a settled promise every such call
    // shares.
    if (this.far)
      return this.placeFar(key, entry, undefined).then(() => this.listener.written(key));
    try {
      this.storeNear(key, entry);
    } catch (error) {
      // Over memory's byte budget: a CacheError.
      const failure = error as Error;
      return Promise.reject(failure);
    }
    this.listener.written(key);
    return SETTLED;
  }

  /**
   * Stores an entry: the shared tier, memory and the bus, then persistence; `timed` observes it
   * in the `set` latency histogram.
   */
  async write(key: string, entry: CacheEntry, budget?: FarBudget, timed = false): Promise<void> {
    const metrics = timed ? this.metrics : undefined;
    const started = metrics ? performance.now() : 0;
    // Persistence's place is taken as the write is applied (memory) or sent (shared tier).
    const turn = turnFor(this.persistence, entry);
    try {
      const placed = this.place(key, entry, budget);
      if (placed) await placed;
      metrics?.observe(this.kind, 'set', (performance.now() - started) / 1000);
      this.listener.written(key);
    } catch (error) {
      turn?.skip();
      throw error;
    }
    if (turn) await turn.written(key, entry);
  }

  /**
   * `write` of a loaded value: with a ticket, only if no instance wrote, deleted or invalidated
   * the key since the load began. False when it was not stored.
   */
  async writeLoaded(
    key: string,
    entry: CacheEntry,
    ticket: LoadTicket | undefined,
    budget?: FarBudget,
  ): Promise<boolean> {
    if (ticket === undefined || !this.far) {
      await this.write(key, entry, budget);
      return true;
    }
    const turn = turnFor(this.persistence, entry);
    let stored = false;
    try {
      stored = await this.placeFar(key, entry, budget, ticket);
      if (stored) this.listener.written(key);
    } finally {
      if (!stored) turn?.skip();
    }
    if (stored) await turn?.written(key, entry);
    return stored;
  }

  /**
   * `write` for many entries, all placed at once; each reaches persistence in the place it took
   * when it was placed, so a removal placed between two of them stays between them.
   */
  async writeMany(entries: ReadonlyArray<readonly [string, CacheEntry]>): Promise<void> {
    await Promise.all(entries.map(async ([key, entry]) => this.write(key, entry)));
  }

  /** Throws now, naming it, when memory is the only tier and cannot hold `entry`. */
  admit(key: string, entry: CacheEntry): void {
    if (!this.far && this.near && !this.near.fits(key, entry)) this.near.set(key, entry);
  }

  /** Merges a patch on the deciding tier; false when `key` is missing. */
  async update(
    key: string,
    patch: Readonly<Record<string, unknown>>,
    limit: number,
  ): Promise<boolean> {
    const entry = await this.atomically(
      'update',
      key,
      (tier) => tier.update(key, patch, limit),
      undefined,
    );
    if (entry === undefined) return false;
    this.listener.written(key);
    await this.persist(key, entry);
    return true;
  }

  /** Adds `by` on the deciding tier; a new counter takes `template`'s expiry and metadata. */
  async increment(key: string, by: number, template: EntryTemplate): Promise<number> {
    const budget = this.budget();
    const value = await this.atomically(
      'increment',
      key,
      (tier) => tier.increment(key, by, template),
      UNAVAILABLE,
      budget,
    );
    this.listener.written(key);
    if (template.persistence !== PersistenceLevel.MEMORY_ONLY)
      await this.persistCurrent(key, budget);
    return value;
  }

  /** Stores `entry` unless `key` holds one (NX); true when stored. */
  async setIfAbsent(key: string, entry: CacheEntry): Promise<boolean> {
    const stored = await this.atomically(
      'setIfAbsent',
      key,
      (tier) => tier.setIfAbsent(key, entry),
      false,
    );
    if (!stored) return false;
    this.listener.written(key);
    await this.persist(key, entry);
    return true;
  }

  /** Sets a new expiry on the deciding tier; false when `key` is missing. */
  async expire(key: string, expiresAt: number): Promise<boolean> {
    const budget = this.budget();
    const changed = await this.atomically(
      'expire',
      key,
      (tier) => tier.expire(key, expiresAt),
      false,
      budget,
    );
    if (changed) {
      this.channel?.keys([key]);
      await this.persistCurrent(key, budget);
    }
    return changed;
  }

  /** Deletes `keys`; returns the ones that held a value. */
  async delete(keys: readonly string[]): Promise<string[]> {
    this.listener.removing({ keys });
    const turn = this.persistence?.turn();
    const deleted = await inTurn(turn, () =>
      this.invalidate(
        'delete',
        keys.length === 1 ? keys[0] : undefined,
        () => this.near?.delete(keys) ?? [],
        (far) => far.delete(keys),
        (channel) => channel.keys(keys),
      ),
    );
    this.listener.removed(deleted);
    await turn?.removed({ keys });
    return deleted;
  }

  /** Deletes every entry carrying any of `tags`; returns their keys. */
  async deleteByTags(tags: readonly string[]): Promise<string[]> {
    this.listener.removing({ tags });
    const turn = this.persistence?.turn();
    const keys = await inTurn(turn, () =>
      this.invalidate(
        'invalidateTags',
        undefined,
        () => this.near?.deleteByTags(tags) ?? [],
        (far) => far.deleteByTags(tags),
        (channel) => channel.tags(tags),
      ),
    );
    this.listener.removed(keys);
    await turn?.removed(this.tableRemoval(keys, { tags }));
    return keys;
  }

  /** Deletes every entry whose key matches `glob`; returns their keys. */
  async deleteMatching(glob: string): Promise<string[]> {
    this.listener.removing({ glob });
    const turn = this.persistence?.turn();
    const keys = await inTurn(turn, () =>
      this.invalidate(
        'invalidatePattern',
        undefined,
        () => this.near?.deleteMatching(glob) ?? [],
        (far) => far.deleteMatching(glob),
        (channel) => channel.pattern(glob),
      ),
    );
    this.listener.removed(keys);
    const deleted = new Set(keys);
    await turn?.removed(
      this.tableRemoval(keys, { glob }),
      this.far &&
        ((written) =>
          missingFrom(
            this.far,
            written.filter((key) => deleted.has(key)),
          )),
    );
    return keys;
  }

  /** Deletes every entry of the namespace; returns how many there were. */
  async clear(): Promise<number> {
    this.listener.removing({ all: true });
    // Who listens hears of the keys memory held; a shared tier does not list what it clears.
    const held = this.near?.liveKeys() ?? [];
    const turn = this.persistence?.turn();
    const count = await inTurn(turn, () =>
      this.invalidate(
        'clear',
        undefined,
        () => this.near?.clear() ?? 0,
        (far) => far.clear(),
        (channel) => channel.clear(),
      ),
    );
    this.listener.cleared(count, held);
    await turn?.removed({ all: true }, this.far && ((written) => missingFrom(this.far, written)));
    return count;
  }

  /**
   * Puts a page of persisted entries back at start, without telling anyone or persisting them
   * again, never over a value the tiers already hold (see `restoreEntries`); answers what failed.
   */
  restoreMany(entries: RestoredEntries): Promise<RestoreFailure[]> {
    return restoreEntries(entries, this.far, this.near, (key, entry) => this.storeNear(key, entry));
  }

  /** Reports a fault met on behalf of this namespace (warm start, decoding). */
  fault(operation: string, error: Error, key?: string): void {
    this.listener.fault(operation, error, key);
  }

  /** Releases the tiers. */
  async close(): Promise<void> {
    await this.far?.tier.close();
    this.near?.close();
  }
}
