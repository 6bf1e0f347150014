import type { NamespaceChannel } from '../bus/namespace-channel';

/**
 * What keeps an invalidation from being undone by a read in flight: a read of the shared tier
 * takes the version before it starts and fills memory only if it has not moved since. It moves on
 * whenever something is invalidated here (`move`) or by another instance (the channel's version).
 */
export class ReadVersion {
  /** Counts this instance's invalidations. */
  private local = 0;

  constructor(private readonly channel: NamespaceChannel | undefined) {}

  /** The version now. */
  current(): number {
    return this.local + (this.channel?.version ?? 0);
  }

  /** An invalidation of this instance starts or ends. */
  move(): void {
    this.local++;
  }
}
