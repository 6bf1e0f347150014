import { isStale, type CacheEntry } from '../tiers/cache-entry';
import type { Awaitable, CacheTier } from '../tiers/cache-tier.interface';
import { freshEntry } from '../tiers/entry-rules';
import type { MemoryTier } from '../tiers/memory.tier';
import type { FarBudget } from './far-budget';
import type { FarGuard } from './far-guard';
import { StackMemory } from './stack-memory';
import type { TierOutcome, TierRun } from './tier-call';

/** The shared tier's read of one key, made once (every read below memory passes it). */
const readEntry: TierRun<CacheEntry | undefined> = (tier, key) => tier.get(key as string);

/** The outcome of a read that is the entry itself. */
const theEntry = (_key: string, entry: CacheEntry | undefined): CacheEntry | undefined => entry;

/** What a caller of `readThen` makes of the entry a read found (undefined: none). */
export type EntryOutcome<R> = (key: string, entry: CacheEntry | undefined) => R;

/**
 * The reads of a namespace's tiers below memory, which `TierStack` extends with the reads of a
 * load and everything that changes the tiers: the shared tier behind its guard, whose fresh
 * entries fill memory (`StackMemory`); memory's own entry when there is no shared tier.
 */
export class StackReads extends StackMemory {
  /**
   * Reads `key` below memory: the shared tier's entry, fresh or stale (within grace), copied into
   * memory when fresh; memory's own entry, at once, when there is no shared tier.
   */
  read(key: string, budget?: FarBudget): Awaitable<CacheEntry | undefined> {
    return this.readThen(key, theEntry, budget);
  }

  /**
   * `read`, resolved to what `outcome` makes of the entry found, in the read's own settlement
   * (one promise per read below memory, where a `then` would add one).
   */
  readThen<R>(key: string, outcome: EntryOutcome<R>, budget?: FarBudget): Awaitable<R> {
    return this.far
      ? this.readSharedWith(key, readEntry, outcome, budget)
      : outcome(key, this.readNear(key));
  }

  /**
   * `read` for many keys in one call to the shared tier, resolved to what `outcome` makes of
   * their entries (in order; none without a shared tier) in the call's own settlement.
   */
  readManyThen<R>(
    keys: readonly string[],
    outcome: (entries: ReadonlyArray<CacheEntry | undefined>) => R,
  ): Awaitable<R> {
    if (!this.far) return outcome([]);
    return this.readManySharedWith(keys, (tier) => tier.getMany(keys), outcome, undefined);
  }

  /**
   * The shared tier's read of `key` by `run`, memory filled with a fresh entry unless something
   * was invalidated during the read, resolved to `outcome` of the entry (memory's own when the
   * shared tier cannot answer and memory is all there is). Every read below memory passes here.
   */
  protected readSharedWith<R>(
    key: string,
    run: TierRun<CacheEntry | undefined>,
    outcome: EntryOutcome<R>,
    budget: FarBudget | undefined,
  ): Promise<R> {
    const far = this.far as FarGuard;
    // Without memory there is nothing to fill: the caller's step is the only one.
    if (!this.near) {
      return far.call(
        'get',
        key,
        run,
        this.lastResortOf,
        budget,
        outcome as TierOutcome<CacheEntry | undefined, R>,
      );
    }
    const version = this.version.current();
    return far.call('get', key, run, this.lastResortOf, budget, (_, entry) => {
      if (entry !== undefined && !isStale(entry, Date.now())) this.fill(key, entry, version);
      return outcome(key, entry);
    });
  }

  /** `readSharedWith` for many keys in one call, `read` on the shared tier. */
  protected readManySharedWith<R>(
    keys: readonly string[],
    read: (tier: CacheTier) => Awaitable<ReadonlyArray<CacheEntry | undefined>>,
    outcome: (entries: ReadonlyArray<CacheEntry | undefined>) => R,
    budget: FarBudget | undefined,
  ): Promise<R> {
    const version = this.version.current();
    return (this.far as FarGuard).call(
      'getMany',
      undefined,
      read,
      () => keys.map((key) => this.lastResort(key)),
      budget,
      (_, entries) => {
        this.fillMany(keys, entries, version);
        return outcome(entries);
      },
    );
  }

  /** The fresh entry of `key`, from memory or the shared tier, without filling memory. */
  async peek(key: string, budget?: FarBudget): Promise<CacheEntry | undefined> {
    const near = this.freshNear(key);
    if (near !== undefined || !this.far) return near;
    const entry = await this.readFar('peek', key, budget);
    return freshEntry(entry, Date.now());
  }

  /**
   * The entry of `key` now (fresh or stale), without filling memory: the shared tier's answer
   * when it gives one, memory's when there is no shared tier or it cannot answer.
   */
  async current(key: string, budget?: FarBudget): Promise<CacheEntry | undefined> {
    if (!this.far) return this.readNear(key);
    const entry = await this.far.call<CacheEntry | undefined | null>(
      'get',
      key,
      readEntry,
      () => null,
      budget,
    );
    return entry === null ? this.near?.get(key) : entry;
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

  /** The shared tier's entry of `key` (fresh or stale), or memory's when it cannot answer. */
  private readFar(
    operation: string,
    key: string,
    budget: FarBudget | undefined,
  ): Promise<CacheEntry | undefined> {
    return (this.far as FarGuard).call(operation, key, readEntry, this.lastResortOf, budget);
  }
}
