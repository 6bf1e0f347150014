import type { NamespaceChannel } from '../bus/namespace-channel';
import { isStale, type CacheEntry } from '../tiers/cache-entry';
import type { CacheTier } from '../tiers/cache-tier.interface';
import type { MemoryTier } from '../tiers/memory.tier';
import type { FarGuard } from './far-guard';
import type { ReadVersion } from './read-version';
import { SharedUsage, type HeldUsage } from './shared-usage';
import type { StackTiers } from './stack-tiers';

/**
 * The base of a namespace's stack: the tiers it holds and what they are (`kind`, `locks`,
 * `tickets`) and hold (`usage`), and memory's side of every read: memory is read while it can be
 * trusted, filled from the shared tier unless something was invalidated during the read
 * (`ReadVersion`), and answers for the shared tier when that cannot answer and memory is all
 * there is. Fills and writes share one rule for what memory keeps (`storeNear`).
 */
export class StackMemory {
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

  /** `fill` of each fresh entry of `keys` read at `version`. */
  protected fillMany(
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

  /**
   * Copies an entry read from the shared tier into memory for its remaining lifetime. Skipped
   * when memory cannot be trusted, when something was invalidated during the read (`version`),
   * or when a write of this instance already put a newer entry there.
   */
  protected fill(key: string, entry: CacheEntry, version: number): void {
    if (
      this.channel?.trusted !== false &&
      this.version.current() === version &&
      !this.near?.holds(key)
    ) {
      this.storeNear(key, entry);
    }
  }

  /** `lastResort` as the guard's fallback, made once (every read below memory passes it). */
  protected readonly lastResortOf = (key: string | undefined): CacheEntry | undefined =>
    this.lastResort(key as string);

  /**
   * What memory holds for `key` when the shared tier cannot answer. Memory bypassed for want of
   * a bus is still the best answer there is while the shared tier itself is unreachable.
   */
  protected lastResort(key: string): CacheEntry | undefined {
    return this.channel !== undefined && !this.channel.trusted ? this.near?.get(key) : undefined;
  }
}
