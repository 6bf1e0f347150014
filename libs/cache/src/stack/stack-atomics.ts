import { UnavailableError } from '../errors/fault';
import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import type { Awaitable, CacheTier } from '../tiers/cache-tier.interface';
import type { MemoryTier } from '../tiers/memory.tier';
import type { FarBudget } from './far-budget';
import type { StackReads } from './stack-reads';
import type { StackTiers } from './stack-tiers';
import { UNAVAILABLE } from './stack-types';

/**
 * The read-modify-writes of a namespace's stack (update, increment, set-if-absent, expire), each
 * run on the deciding tier: the shared one when there is one, memory when it is alone or the
 * shared tier fails. Memory then drops the key everywhere and refetches it on the next read; the
 * entry the operation left is handed to persistence.
 */
export class StackAtomics {
  constructor(
    private readonly tiers: StackTiers,
    /** Reads back what an operation left, for persistence. */
    private readonly reads: StackReads,
  ) {}

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
    this.tiers.listener.written(key);
    await this.persist(key, entry);
    return true;
  }

  /** Adds `by` on the deciding tier; a new counter takes `template`'s expiry and metadata. */
  async increment(key: string, by: number, template: EntryTemplate): Promise<number> {
    const budget = this.tiers.far?.budget();
    const value = await this.atomically(
      'increment',
      key,
      (tier) => tier.increment(key, by, template),
      UNAVAILABLE,
      budget,
    );
    this.tiers.listener.written(key);
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
    this.tiers.listener.written(key);
    await this.persist(key, entry);
    return true;
  }

  /** Sets a new expiry on the deciding tier; false when `key` is missing. */
  async expire(key: string, expiresAt: number): Promise<boolean> {
    const budget = this.tiers.far?.budget();
    const changed = await this.atomically(
      'expire',
      key,
      (tier) => tier.expire(key, expiresAt),
      false,
      budget,
    );
    if (changed) {
      this.tiers.channel?.keys([key]);
      await this.persistCurrent(key, budget);
    }
    return changed;
  }

  /**
   * Runs a read-modify-write on the deciding tier (shared when there is one). When the shared
   * tier fails it runs on memory alone, or yields `fallback` when there is no memory tier.
   */
  private async atomically<T>(
    operation: string,
    key: string,
    run: (tier: CacheTier) => Awaitable<T>,
    fallback: T | typeof UNAVAILABLE,
    budget?: FarBudget,
  ): Promise<T> {
    const { near, far, channel, version } = this.tiers;
    if (!far) return run(near as MemoryTier);
    let failed = false;
    version.move();
    let result: T | undefined;
    try {
      result = await far.call(
        operation,
        key,
        run,
        () => {
          failed = true;
          return undefined;
        },
        budget,
      );
    } finally {
      // Memory gets the new state by refetch on next read, everywhere; a read that raced this
      // operation does not refill it (the version moved). Strict mode throws above: the change
      // may have landed all the same.
      version.move();
      near?.delete([key]);
      channel?.keys([key]);
    }
    if (!failed) return result as T;
    if (near) {
      const local = await run(near);
      // Kept only while memory is bypassed (see `StackWrites.placed`): trusted, it would be
      // served here alone while the other instances read the shared tier.
      if (channel?.trusted) near.delete([key]);
      return local;
    }
    if (fallback === UNAVAILABLE) throw new UnavailableError(this.tiers.name, operation);
    return fallback;
  }

  /** Hands a written entry to persistence (ON_CHANGE: written before this resolves). */
  private persist(key: string, entry: CacheEntry): Promise<void> | void {
    const persistence = this.tiers.persistence;
    if (persistence && entry.persistence !== PersistenceLevel.MEMORY_ONLY) {
      return persistence.written(key, entry);
    }
  }

  /** Persists the entry an atomic operation left (read back from the deciding tier). */
  private async persistCurrent(key: string, budget?: FarBudget): Promise<void> {
    if (!this.tiers.persistence) return;
    const entry = await this.reads.peek(key, budget);
    if (entry !== undefined) await this.persist(key, entry);
  }
}
