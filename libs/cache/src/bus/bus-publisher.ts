import { Logger } from '@nestjs/common';
import { fitAnnouncement, type Announcement, type BusMessage } from './bus-message';
import type { BusTransport } from './bus-transport';

/**
 * The sending side of the bus. Keys announced in the same tick travel together, per namespace,
 * in as many messages as the transport's payload limit needs; a tag, pattern or clear goes at
 * once, after them. Every message carries its sender's id, its sequence number and the time of
 * the sender's previous message (on the transport server's clock), so receivers can tell when
 * some were lost. A failing publish is reported once per outage.
 */
export class BusPublisher {
  private static readonly logger = new Logger('CacheBus');
  /** Transport server's clock minus this process's, measured when listening started. */
  clockOffset = 0;
  private readonly pendingKeys = new Map<string, Set<string>>();
  private readonly inFlight = new Set<Promise<void>>();
  private flushScheduled = false;
  private closed = false;
  private seq = 0;
  /** When this instance sent its last message, on the transport server's clock. */
  private lastSentAt: number | undefined;
  private publishFailing = false;

  constructor(
    /** This instance's id on the bus. */
    private readonly sender: string,
    private readonly transport: BusTransport,
    private readonly onPublishError: (error: Error) => void,
  ) {}

  /** Announces written or deleted keys; keys of one tick travel together per namespace. */
  announceKeys(namespace: string, keys: readonly string[]): void {
    if (keys.length === 0 || this.closed) return;
    let pending = this.pendingKeys.get(namespace);
    if (!pending) this.pendingKeys.set(namespace, (pending = new Set()));
    for (const key of keys) pending.add(key);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Announces a tag, pattern or clear invalidation at once. */
  announce(announcement: Announcement): void {
    if (this.closed) return;
    // Keys of this tick go first, so every instance sees this instance's changes in order.
    this.flush();
    this.send(announcement);
  }

  /**
   * Sends what is pending and takes no more announcements; resolves once what is on its way
   * settled, or after `ms` (a frozen server never answers).
   */
  async close(ms: number): Promise<void> {
    this.flush();
    this.closed = true;
    await settledWithin(ms, Promise.all(this.inFlight));
  }

  private flush(): void {
    this.flushScheduled = false;
    const pending = [...this.pendingKeys];
    this.pendingKeys.clear();
    for (const [namespace, keys] of pending) this.send({ n: namespace, k: [...keys] });
  }

  private send(announcement: Announcement): void {
    const parts = fitAnnouncement(announcement, this.transport.maxPayloadBytes);
    if (parts.length === 0) {
      // Cannot be said on this transport: the skipped number tells the others something is lost.
      this.seq++;
      BusPublisher.logger.warn(
        `namespace "${announcement.n}" is too long for a ${this.transport.kind} bus message; ` +
          'other instances clear their memory instead',
      );
      return;
    }
    for (const part of parts) this.publish(part);
  }

  private publish(announcement: Announcement): void {
    const now = Date.now() + this.clockOffset;
    const message: BusMessage = {
      s: this.sender,
      q: ++this.seq,
      ...(this.lastSentAt !== undefined && { b: this.lastSentAt }),
      ...announcement,
    };
    this.lastSentAt = now;
    const sending = this.transport.publish(JSON.stringify(message)).then(
      () => {
        this.publishFailing = false;
      },
      (error: Error) => {
        // One report per outage; receivers notice the lost message by its number.
        if (!this.publishFailing) this.onPublishError(error);
        this.publishFailing = true;
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }
}

/** Waits for `work` (its failure ignored) at most `ms`; the timer goes as soon as either ends. */
async function settledWithin(ms: number, work: Promise<unknown>): Promise<void> {
  if (ms === Infinity) {
    await work.catch(() => undefined);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
