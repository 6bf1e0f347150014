import type { NamespaceMetrics } from '../metrics/cache-metrics';
import type { NamespacePersistence } from '../persistence/persistence-manager';
import type { CacheEntry } from '../tiers/cache-entry';
import type { CacheTier, LoadTicket } from '../tiers/cache-tier.interface';
import type { FarBudget } from './far-budget';
import type { FarGuard } from './far-guard';
import type { TierOutcome } from './tier-call';
import { takesTurn, turnFor } from './persistence-turn';
import { StackLoadReads } from './stack-load-reads';
import type { StackTiers } from './stack-tiers';
import type { StackListener } from './stack-types';

/** The fallback of a write whose fault is absorbed: nothing to answer with. */
const nothing = (): undefined => undefined;

/** The answer of a write done within the call: one settled promise, shared. */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * The writes of a namespace's stack, which `TierStack` extends with removals, read-modify-writes
 * and restore: a write fans out to the shared tier, memory, the bus and persistence, in that
 * order, and is told to the `StackListener`.
 */
export class StackWrites extends StackLoadReads {
  protected readonly persistence: NamespacePersistence | undefined;
  protected readonly listener: StackListener;
  private readonly metrics: NamespaceMetrics | undefined;

  constructor(tiers: StackTiers, metrics: NamespaceMetrics | undefined) {
    super(tiers);
    this.persistence = tiers.persistence;
    this.listener = tiers.listener;
    this.metrics = metrics;
  }

  /** `write`, timed for the latency histograms; memory alone is written within this call. */
  set(key: string, entry: CacheEntry): Promise<void> {
    if (this.metrics || takesTurn(this.persistence, entry)) {
      return this.write(key, entry, undefined, true);
    }
    // Nothing timed or persisted: the shared tier's write with the step after it run in its own
    // settlement (no async frame or second promise on the hot path), or memory alone written
    // now and answered with a settled promise every such call shares.
    if (this.far) {
      const version = this.version.current();
      return this.sendFar(key, entry, undefined, (_key, _answer, failed) => {
        this.placed(key, entry, version, failed);
        this.listener.written(key);
      });
    }
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
   * when it was placed, so a removal placed between two of them stays between them. They share
   * one batch budget: the tail of a large batch waits while the shared tier answers its head.
   */
  async writeMany(entries: ReadonlyArray<readonly [string, CacheEntry]>): Promise<void> {
    const budget = this.far?.batchBudget();
    await Promise.all(entries.map(async ([key, entry]) => this.write(key, entry, budget)));
  }

  /** Throws now, naming it, when memory is the only tier and cannot hold `entry`. */
  admit(key: string, entry: CacheEntry): void {
    if (!this.far && this.near && !this.near.fits(key, entry)) this.near.set(key, entry);
  }

  /**
   * Puts an entry where it belongs: the shared tier first when there is one, then memory. Memory
   * alone is written at once.
   */
  private place(key: string, entry: CacheEntry, budget?: FarBudget): Promise<boolean> | undefined {
    if (this.far) return this.placeFar(key, entry, budget);
    this.storeNear(key, entry);
    return undefined;
  }

  /**
   * Writes to the shared tier, then memory; memory is written even if the shared tier fails.
   * Other instances are told either way (a timed-out write may still land). If an invalidation
   * arrived during the write, memory drops the key instead: that one may be newer.
   */
  private placeFar(
    key: string,
    entry: CacheEntry,
    budget: FarBudget | undefined,
    ticket?: LoadTicket,
  ): Promise<boolean> {
    const version = this.version.current();
    const far = this.far as FarGuard;
    // Chained, not awaited: every write to the shared tier passes here (no async frame).
    if (ticket === undefined || far.tier.setUnlessChanged === undefined) {
      return this.sendFar(key, entry, budget, (_key, _answer, failed) =>
        this.placed(key, entry, version, failed),
      );
    }
    // A load's value goes in only if nobody changed the key since the load began; a write that
    // failed is taken as done (memory keeps it as `placed` says).
    return far.call<boolean, boolean>(
      'set',
      key,
      (tier) =>
        (tier.setUnlessChanged as NonNullable<CacheTier['setUnlessChanged']>)(key, entry, ticket),
      () => true,
      budget,
      (_key, stored, failed) => stored && this.placed(key, entry, version, failed),
    );
  }

  /**
   * The shared tier's write of `entry`, its fault absorbed (see `placeFar`), resolved to what
   * `then` returns (told whether the write failed), run in the call's own settlement.
   */
  private sendFar<R>(
    key: string,
    entry: CacheEntry,
    budget: FarBudget | undefined,
    then: TierOutcome<void, R>,
  ): Promise<R> {
    return (this.far as FarGuard).call(
      'set',
      key,
      (tier) => tier.set(key, entry),
      nothing,
      budget,
      then,
    );
  }

  /**
   * After the shared tier's write: other instances told, memory written (see `placeFar`). A
   * write the shared tier failed is kept in memory only while memory is bypassed (the last
   * resort, cleared when the bus and circuit recover): trusted memory would serve it here alone,
   * while every other instance reads what the shared tier holds.
   */
  private placed(key: string, entry: CacheEntry, version: number, failed: boolean): true {
    this.channel?.keys([key]);
    if (this.version.current() === version && !(failed && this.channel?.trusted)) {
      this.storeNear(key, entry);
    } else this.near?.delete([key]);
    return true;
  }
}
