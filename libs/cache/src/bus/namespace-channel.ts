import type { MemoryTier } from '../tiers/memory.tier';
import { keysOf } from '../tiers/removed-keys';
import type { BusMessage } from './bus-message';
import type { InvalidationBus } from './invalidation-bus';

/** The circuit of the shared tier behind a namespace's memory (its `CircuitBreaker`). */
export interface TierCircuit {
  /** 'closed' while calls go through. */
  readonly current: string;
  /** Calls `listener` on every change of state; returns a function that stops it. */
  watch(listener: (state: string) => void): () => void;
}

/**
 * One namespace's view of the bus: announces its writes, applies other instances' to its
 * memory tier, and says whether that memory tier may be trusted right now.
 *
 * Memory is trusted only while both the bus and the shared tier's circuit are healthy: while the
 * bus is down, messages may be missed; while the circuit is not closed, writes land in this
 * instance's memory alone (the shared tier refused them). When the last of the two recovers,
 * memory is cleared, so every instance reads the shared tier again and they converge.
 */
export class NamespaceChannel {
  /** Counts invalidations received, so a read that raced one does not refill memory. */
  version = 0;
  private farUp: boolean;
  private wasTrusted: boolean;
  private dropped: ((keys: readonly string[]) => void) | undefined;

  constructor(
    private readonly bus: InvalidationBus,
    private readonly namespace: string,
    private readonly near: MemoryTier,
    circuit?: TierCircuit,
  ) {
    this.farUp = circuit === undefined || circuit.current === 'closed';
    this.wasTrusted = this.trusted;
    bus.register(namespace, (message) => this.receive(message));
    bus.onHealthChange(() => {
      // A read in flight across the change must not fill memory.
      this.version++;
      this.healthChanged();
    });
    // No version move here: a write the open circuit refused stays in memory, bypassed, as the
    // last resort while the shared tier cannot answer; only the trial call is in flight when the
    // circuit closes, and what it read or wrote is what the shared tier holds.
    circuit?.watch((state) => {
      this.farUp = state === 'closed';
      this.healthChanged();
    });
  }

  /** False while the bus is down or the shared tier's circuit is not closed: memory is bypassed. */
  get trusted(): boolean {
    return this.farUp && this.bus.healthy;
  }

  /** Calls `listener` with the keys memory dropped for each message of another instance. */
  onDropped(listener: (keys: readonly string[]) => void): void {
    this.dropped = listener;
  }

  keys(keys: readonly string[]): void {
    this.bus.publisher.announceKeys(this.namespace, keys);
  }

  tags(tags: readonly string[]): void {
    this.bus.publisher.announce({ n: this.namespace, t: tags });
  }

  pattern(glob: string): void {
    this.bus.publisher.announce({ n: this.namespace, p: glob });
  }

  clear(): void {
    this.bus.publisher.announce({ n: this.namespace, c: true });
  }

  private healthChanged(): void {
    const trusted = this.trusted;
    // Messages may have been missed, or writes kept here alone, while it was not trusted: nothing
    // in memory can be vouched for.
    if (trusted && !this.wasTrusted) this.near.clear();
    this.wasTrusted = trusted;
  }

  private receive(message: BusMessage): void {
    this.version++;
    const keys: string[] = [];
    if (message.c) {
      keys.push(...this.near.liveKeys());
      this.near.clear();
    }
    // Stale copies too: a load in flight here must not store over the change.
    if (message.k) keys.push(...keysOf(this.near.delete(message.k)));
    if (message.t) keys.push(...keysOf(this.near.deleteByTags(message.t)));
    if (message.p) keys.push(...keysOf(this.near.deleteMatching(message.p)));
    if (keys.length > 0) this.dropped?.(keys);
  }
}
