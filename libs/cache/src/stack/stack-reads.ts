import type { NamespaceChannel } from '../bus/namespace-channel';
import { isStale, type CacheEntry } from '../tiers/cache-entry';
import type { Awaitable, CacheTier, LoadTicket } from '../tiers/cache-tier.interface';
import { freshEntry } from '../tiers/entry-rules';
import type { MemoryTier } from '../tiers/memory.tier';
import type { FarBudget } from './far-budget';
import type { FarGuard } from './far-guard';
import type { ReadVersion } from './read-version';
import { SharedUsage, type HeldUsage } from './shared-usage';
import type { TierOutcome, TierRun } from './tier-call';
import type { StackTiers } from './stack-tiers';

/** The shared tier's read of one key, made once (every read below memory passes it). */
const readEntry: TierRun<CacheEntry | undefined> = (tier, key) => tier.get(key as string);

/** The outcome of a read that is the entry itself. */
const theEntry = (_key: string, entry: CacheEntry | undefined): CacheEntry | undefined => entry;

/** What a caller of `readThen` makes of the entry a read found (undefined: none). */
export type EntryOutcome<R> = (key: string, entry: CacheEntry | undefined) => R;

/** What a load's first read found, and the ticket its store presents (shared tiers only). */
export interface LoadRead {
  readonly entry: CacheEntry | undefined;
  readonly ticket?: LoadTicket;
}

/**
 * The read side of a namespace's tiers, which `TierStack` extends with everything that changes
 * them: memory first, while it can be trusted; below it the shared tier behind its guard, whose
 * fresh entries fill memory unless something was invalidated during the read (`ReadVersion`);
 * memory's own entry when the shared tier cannot answer and memory is all there is. Also what
 * the tiers are (`kind`, `locks`, `tickets`) and hold (`usage`), and what memory keeps
 * (`storeNear`): fills and writes share the rule.
 */
export class StackReads {
  protected readonly near: MemoryTier | undefined;
  protected readonly far: FarGuard | undefined;
  protected readonly channel: NamespaceChannel | undefined;
  protected readonly version: ReadVersion;
  private shared: SharedUsage | undefined;

  constructor(tiers: StackTiers) {
    this.near = tiers.near;
    this.far = tiers.far;
    this.channel = tiers.channel;
    this.version = tiers.version;
  }

  /** The shared tier's kind, or memory's when it is alone. */
  get kind(): CacheTier['kind'] {
    return this.far?.tier.kind ?? 'memory';
  }

  /** True when loads can take a lock across instances. */
  get locks(): boolean {
    return this.far?.tier.acquireLock !== undefined;
  }

  /** True when the shared tier issues load tickets (see `CacheTier.readForLoad`). */
  get tickets(): boolean {
    return this.far?.tier.readForLoad !== undefined;
  }

  /** The fresh memory entry of `key` (the hot path: one field read unless it has a grace period). */
  freshNear(key: string): CacheEntry | undefined {
    const entry = this.readNear(key);
    if (entry === undefined || entry.graceUntil === undefined) return entry;
    return isStale(entry, Date.now()) ? undefined : entry;
  }

  /** The memory entry of `key`, fresh or stale, unless memory cannot be trusted right now. */
  readNear(key: string): CacheEntry | undefined {
    if (this.near === undefined || (this.channel !== undefined && !this.channel.trusted)) {
      return undefined;
    }
    return this.near.get(key);
  }

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
    const far = this.far;
    if (!far) return outcome(key, this.readNear(key));
    // Without memory there is nothing to fill: the caller's step is the only one.
    if (!this.near) {
      return far.call(
        'get',
        key,
        readEntry,
        this.lastResortOf,
        budget,
        outcome as TierOutcome<CacheEntry | undefined, R>,
      );
    }
    const version = this.version.current();
    return far.call('get', key, readEntry, this.lastResortOf, budget, (_, entry) => {
      if (entry !== undefined && !isStale(entry, Date.now())) this.fill(key, entry, version);
      return outcome(key, entry);
    });
  }

  /** `read` at the start of a load, with the ticket `writeLoaded` presents (see `LoadRead`). */
  readForLoad(key: string, budget?: FarBudget): Awaitable<LoadRead> {
    return this.far ? this.readSharedForLoad(key, budget) : { entry: this.readNear(key) };
  }

  /**
   * `read` for many keys in one call to the shared tier, resolved to what `outcome` makes of
   * their entries (in order; none without a shared tier) in the call's own settlement.
   */
  readManyThen<R>(
    keys: readonly string[],
    outcome: (entries: ReadonlyArray<CacheEntry | undefined>) => R,
  ): Awaitable<R> {
    const far = this.far;
    if (!far) return outcome([]);
    const version = this.version.current();
    return far.call(
      'getMany',
      undefined,
      (tier) => tier.getMany(keys),
      () => keys.map((key) => this.lastResort(key)),
      undefined,
      (_, entries) => {
        this.fillMany(keys, entries, version);
        return outcome(entries);
      },
    );
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

  /** The fresh entry of `key`, from memory or the shared tier, without filling memory. */
  async peek(key: string, budget?: FarBudget): Promise<CacheEntry | undefined> {
    const near = this.freshNear(key);
    if (near !== undefined || !this.far) return near;
    const entry = await this.readFar('peek', key, budget);
    return freshEntry(entry, Date.now());
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

  /** What the namespace holds: memory's figures, or without memory the shared tier's count. */
  usage(): HeldUsage {
    if (this.near) return { ...this.near.usage(), source: 'memory' };
    // Without memory, what the shared tier holds: counted in the background, never a false 0.
    this.shared ??= new SharedUsage(() =>
      (this.far as FarGuard).call(
        'usage',
        undefined,
        (far) => far.usage(),
        () => undefined,
      ),
    );
    return this.shared.current();
  }

  /**
   * Puts an entry in memory. Over the namespace's byte budget it is refused before anything is
   * written when memory is the only tier, and simply kept out of memory above a shared tier.
   */
  protected storeNear(key: string, entry: CacheEntry): void {
    if (!this.near) return;
    if (this.near.fits(key, entry)) this.near.set(key, entry);
    else if (this.far) this.near.delete([key]);
    else this.near.set(key, entry);
  }

  /**
   * `readShared` at the start of a load, with the ticket its store presents (see
   * `CacheTier.readForLoad`); no ticket from a tier without one, or when the read failed.
   */
  private async readSharedForLoad(key: string, budget?: FarBudget): Promise<LoadRead> {
    const version = this.version.current();
    let ticket: LoadTicket | undefined;
    const entry = await (this.far as FarGuard).call(
      'get',
      key,
      async (far) => {
        if (far.readForLoad === undefined) return far.get(key);
        const read = await far.readForLoad(key);
        ticket = read.ticket;
        return read.entry;
      },
      () => this.lastResort(key),
      budget,
    );
    if (entry !== undefined && !isStale(entry, Date.now())) this.fill(key, entry, version);
    return { entry, ticket };
  }

  /**
   * `readMany` from the shared tier, filling memory with the fresh entries; `read` is the tier
   * call (a batch load's also takes its tickets).
   */
  private async readManyShared(
    keys: readonly string[],
    read: (far: CacheTier) => Awaitable<ReadonlyArray<CacheEntry | undefined>> = (far) =>
      far.getMany(keys),
    budget?: FarBudget,
  ): Promise<ReadonlyArray<CacheEntry | undefined>> {
    const version = this.version.current();
    const entries = await (this.far as FarGuard).call(
      'getMany',
      undefined,
      read,
      () => keys.map((key) => this.lastResort(key)),
      budget,
    );
    this.fillMany(keys, entries, version);
    return entries;
  }

  /** `fill` of each fresh entry of `keys` read at `version`. */
  private fillMany(
    keys: readonly string[],
    entries: ReadonlyArray<CacheEntry | undefined>,
    version: number,
  ): void {
    if (!this.near) return;
    const now = Date.now();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry !== undefined && !isStale(entry, now)) this.fill(keys[i], entry, version);
    }
  }

  /** The shared tier's entry of `key` (fresh or stale), or memory's when it cannot answer. */
  private readFar(
    operation: string,
    key: string,
    budget: FarBudget | undefined,
  ): Promise<CacheEntry | undefined> {
    return (this.far as FarGuard).call(operation, key, readEntry, this.lastResortOf, budget);
  }

  /**
   * Copies an entry read from the shared tier into memory for its remaining lifetime. Skipped
   * when memory cannot be trusted, when something was invalidated during the read (`version`),
   * or when a write of this instance already put a newer entry there.
   */
  private fill(key: string, entry: CacheEntry, version: number): void {
    if (
      this.channel?.trusted !== false &&
      this.version.current() === version &&
      !this.near?.holds(key)
    ) {
      this.storeNear(key, entry);
    }
  }

  /** `lastResort` as the guard's fallback, made once (every read below memory passes it). */
  private readonly lastResortOf = (key: string | undefined): CacheEntry | undefined =>
    this.lastResort(key as string);

  /**
   * What memory holds for `key` when the shared tier cannot answer. Memory bypassed for want of
   * a bus is still the best answer there is while the shared tier itself is unreachable.
   */
  private lastResort(key: string): CacheEntry | undefined {
    return this.channel !== undefined && !this.channel.trusted ? this.near?.get(key) : undefined;
  }
}
