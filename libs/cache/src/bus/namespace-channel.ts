import type { MemoryTier } from '../tiers/memory.tier';
import type { BusMessage } from './bus-message';
import type { InvalidationBus } from './invalidation-bus';

/**
 * One namespace's view of the bus: announces its writes, applies other instances' to its
 * memory tier, and says whether that memory tier may be trusted right now.
 */
export class NamespaceChannel {
  /** Counts invalidations received, so a read that raced one does not refill memory. */
  version = 0;

  constructor(
    private readonly bus: InvalidationBus,
    private readonly namespace: string,
    private readonly near: MemoryTier,
  ) {
    bus.register(namespace, (message) => this.receive(message));
    bus.onHealthChange((up) => {
      this.version++;
      // Messages may have been missed while down: nothing in memory can be vouched for.
      if (up) near.clear();
    });
  }

  /** False while the bus is down: memory may be stale and is bypassed. */
  get trusted(): boolean {
    return this.bus.healthy;
  }

  keys(keys: readonly string[]): void {
    this.bus.announceKeys(this.namespace, keys);
  }

  tags(tags: readonly string[]): void {
    this.bus.announce({ n: this.namespace, t: tags });
  }

  pattern(glob: string): void {
    this.bus.announce({ n: this.namespace, p: glob });
  }

  clear(): void {
    this.bus.announce({ n: this.namespace, c: true });
  }

  private receive(message: BusMessage): void {
    this.version++;
    if (message.c) this.near.clear();
    if (message.k) this.near.delete(message.k);
    if (message.t) this.near.deleteByTags(message.t);
    if (message.p) this.near.deleteMatching(message.p);
  }
}
