import type { LockOperations } from '../loading/locked-load';
import type { RestorableNamespace } from '../persistence/persistence-manager';
import type { CacheEntry, EntryTemplate } from '../tiers/cache-entry';
import type { RemovedKeys } from '../tiers/removed-keys';
import type { FarBudget } from './far-budget';
import type { FarGuard } from './far-guard';
import { guardedLock } from './guarded-lock';
import { restoreEntries, type RestoredEntries, type RestoreFailure } from './restore';
import { StackAtomics } from './stack-atomics';
import { StackRemovals } from './stack-removals';
import { holdTiers } from './stack-tiers';
import type { NamespaceTiers, StackListener } from './stack-types';
import { StackWrites } from './stack-writes';

/**
 * The tiers of one namespace and everything that keeps them in step: memory (near) in front of a
 * shared tier (far) behind its guard, the bus channel that keeps other instances' memory
 * coherent, and the persistence sink. Each layer it is built of extends the one below, so a call
 * costs no hop: `StackMemory` (what memory keeps), `StackReads`, `StackLoadReads` (a load's first
 * reads, with tickets), `StackWrites` (the write fan-out: far, near, bus, persistence, in that
 * order). It alone changes the tiers, and hands removals to `StackRemovals` and
 * read-modify-writes to `StackAtomics`. It counts nothing and emits nothing: it tells its
 * `StackListener`.
 */
export class TierStack extends StackWrites implements RestorableNamespace {
  private readonly removals: StackRemovals;
  private readonly atomics: StackAtomics;

  constructor(
    readonly name: string,
    tiers: NamespaceTiers,
    listener: StackListener,
  ) {
    const held = holdTiers(name, tiers, listener);
    super(held, tiers.metrics);
    this.removals = new StackRemovals(held);
    this.atomics = new StackAtomics(held, this);
  }

  /**
   * One budget for the shared-tier calls of one public call (see `FarBudget`); undefined without
   * a bounded shared tier.
   */
  budget(): FarBudget | undefined {
    return this.far?.budget();
  }

  /** The lock calls of a locked load, each degraded on a fault, all within `budget`. */
  lockOn(key: string, ttl: number, budget?: FarBudget): LockOperations {
    return guardedLock(this.far as FarGuard, key, ttl, budget);
  }

  /** Merges a patch on the deciding tier; false when `key` is missing. */
  update(key: string, patch: Readonly<Record<string, unknown>>, limit: number): Promise<boolean> {
    return this.atomics.update(key, patch, limit);
  }

  /** Adds `by` on the deciding tier; a new counter takes `template`'s expiry and metadata. */
  increment(key: string, by: number, template: EntryTemplate): Promise<number> {
    return this.atomics.increment(key, by, template);
  }

  /** Stores `entry` unless `key` holds one (NX); true when stored. */
  setIfAbsent(key: string, entry: CacheEntry): Promise<boolean> {
    return this.atomics.setIfAbsent(key, entry);
  }

  /** Sets a new expiry on the deciding tier; false when `key` is missing. */
  expire(key: string, expiresAt: number): Promise<boolean> {
    return this.atomics.expire(key, expiresAt);
  }

  /** Deletes `keys`; returns the ones that held a value (stale ones apart). */
  delete(keys: readonly string[]): Promise<RemovedKeys> {
    return this.removals.delete(keys);
  }

  /** Deletes every entry carrying any of `tags`; returns their keys. */
  deleteByTags(tags: readonly string[]): Promise<RemovedKeys> {
    return this.removals.deleteByTags(tags);
  }

  /** Deletes every entry whose key matches `glob`; returns their keys. */
  deleteMatching(glob: string): Promise<RemovedKeys> {
    return this.removals.deleteMatching(glob);
  }

  /** Deletes every entry of the namespace; returns how many there were. */
  clear(): Promise<number> {
    return this.removals.clear();
  }

  /**
   * Memory dropped `key` on its own (evicted, expired): the entry waiting for a flush goes too,
   * unless a shared tier still holds it.
   */
  dropped(key: string): void {
    if (!this.far) void this.persistence?.dropped(key);
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
