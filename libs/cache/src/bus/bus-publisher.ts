import { Logger } from '@nestjs/common';
import { fitAnnouncement, type Announcement, type BusMessage } from './bus-message';
import type { BusTransport } from './bus-transport';
import { quoted } from '../logging/log-text';
import { resolvesWithin } from '../time-limit';

/** How long after a failed publish the message is sent again (and again, until it goes). */
const RESEND_AFTER = 1000;

/**
 * The sending side of the bus. Keys announced in the same tick travel together, per namespace,
 * in as many messages as the transport's payload limit needs; a tag, pattern or clear goes at
 * once, after them. Every message carries its sender's id, its sequence number and the time of
 * the sender's previous message (on the transport server's clock), so receivers can tell when
 * some were lost. A failing publish is reported once per outage, and its message is sent again
 * until it goes: the others learn of a lost message only from a later one, and this instance may
 * have nothing else to say.
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
  /** The latest message whose publish failed, and its number, until one as new goes through. */
  private unsent: { readonly text: string; readonly seq: number } | undefined;
  private resendTimer: NodeJS.Timeout | undefined;

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
    clearTimeout(this.resendTimer);
    if (this.unsent) this.transmit(this.unsent.text, this.unsent.seq);
    this.closed = true;
    // Their failures are reported already: only the wait matters here.
    await resolvesWithin(
      Promise.all(this.inFlight).catch(() => undefined),
      ms,
    );
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
        `namespace ${quoted(announcement.n)} is too long for a ${this.transport.kind} bus message; ` +
          'other instances clear their memory instead',
      );
      return;
    }
    for (const part of parts) this.stamp(part);
  }

  private stamp(announcement: Announcement): void {
    const now = Date.now() + this.clockOffset;
    const message: BusMessage = {
      s: this.sender,
      q: ++this.seq,
      ...(this.lastSentAt !== undefined && { b: this.lastSentAt }),
      ...announcement,
    };
    this.lastSentAt = now;
    this.transmit(JSON.stringify(message), message.q as number);
  }

  /** Publishes the stamped message number `seq`; a failure is sent again later. */
  private transmit(text: string, seq: number): void {
    const sending = this.transport.publish(text).then(
      () => {
        this.publishFailing = false;
        // The unsent message arrived, or a newer one that reveals it lost (a gap in the numbers).
        if (this.unsent && seq >= this.unsent.seq) this.unsent = undefined;
      },
      (error: Error) => {
        // One report per outage; receivers notice the lost message by its number.
        if (!this.publishFailing) this.onPublishError(error);
        this.publishFailing = true;
        if (!this.unsent || seq >= this.unsent.seq) this.unsent = { text, seq };
        this.resendLater();
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  private resendLater(): void {
    if (this.resendTimer !== undefined || this.closed) return;
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined;
      if (this.unsent && !this.closed) this.transmit(this.unsent.text, this.unsent.seq);
    }, RESEND_AFTER);
    this.resendTimer.unref();
  }
}
