import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { fitAnnouncement, parseMessage, type Announcement, type BusMessage } from './bus-message';
import type { BusTransport, BusTransportKind } from './bus-transport';
import { SenderTracker } from './sender-tracker';

/** Receives the messages of one namespace. */
export type BusHandler = (message: BusMessage) => void;

/** The bus as `info()` and `health()` report it. */
export interface BusHealth {
  /** Which server carries it. */
  readonly transport: BusTransportKind;
  /** True while messages flow both ways. */
  readonly connected: boolean;
  /** Gaps seen in other instances' messages since start (each cleared memory). */
  readonly gaps: number;
  /** When the last gap was seen (ISO 8601). */
  readonly lastGapAt?: string;
}

/** Gaps closer together than this are one burst, logged once. */
const GAP_BURST = 10_000;

/**
 * Cross-instance invalidation, over any transport (Redis pub/sub, PostgreSQL LISTEN/NOTIFY).
 * Writes of one instance tell every other to drop those keys from memory; keys written in the
 * same tick travel together, in as many messages as the transport's payload limit needs.
 *
 * Every message carries its sender's id and sequence number. A receiver that sees a sender skip
 * numbers, or first hears one mid-stream that it should have heard earlier, clears the memory of
 * every namespace on the bus (the lost messages' namespaces are unknown), counts it (`gaps`) and
 * logs once per burst. While the transport does not listen, namespaces stop trusting their memory
 * tier, and when it is back they clear it, since messages may have been missed.
 */
export class InvalidationBus {
  private static readonly logger = new Logger('CacheBus');
  /** This instance's id on the bus. */
  readonly id = randomUUID();
  private connected = false;
  private readonly handlers = new Map<string, BusHandler>();
  private readonly healthListeners = new Set<(up: boolean) => void>();
  private readonly pendingKeys = new Map<string, Set<string>>();
  private readonly tracker = new SenderTracker();
  private readonly inFlight = new Set<Promise<void>>();
  private flushScheduled = false;
  private closed = false;
  private everConnected = false;
  private seq = 0;
  /** When this instance sent its last message, on the transport server's clock. */
  private lastSentAt: number | undefined;
  /** Transport server's clock minus this process's, measured when listening started. */
  private clockOffset = 0;
  private gapCount = 0;
  private publishFailing = false;
  private lastGap: Date | undefined;

  constructor(
    /** What carries the messages. */
    readonly transport: BusTransport,
    private readonly onPublishError: (error: Error) => void,
  ) {}

  /** True while messages flow both ways. */
  get healthy(): boolean {
    return this.connected;
  }

  /** Gaps seen in other instances' messages since start. */
  get gaps(): number {
    return this.gapCount;
  }

  /** When the last gap was seen. */
  get lastGapAt(): Date | undefined {
    return this.lastGap;
  }

  /** The bus as `info()` reports it. */
  health(): BusHealth {
    return {
      transport: this.transport.kind,
      connected: this.connected,
      gaps: this.gapCount,
      ...(this.lastGap && { lastGapAt: this.lastGap.toISOString() }),
    };
  }

  /** Starts listening; resolves once it listens or its first attempt failed (it keeps trying). */
  start(): Promise<void> {
    return this.transport.start({
      message: (text) => this.receive(text),
      status: (up, serverTime) => this.setConnected(up, serverTime),
    });
  }

  /** Routes the messages of `namespace` to `handler`. */
  register(namespace: string, handler: BusHandler): void {
    this.handlers.set(namespace, handler);
  }

  /** Calls `listener(up)` whenever the bus goes down or comes back. */
  onHealthChange(listener: (up: boolean) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

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
   * Sends what is pending, waits up to `ms` for what is on its way (a frozen server never
   * answers), then stops listening.
   */
  async close(ms = Infinity): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    await settledWithin(ms, Promise.all(this.inFlight));
    this.setConnected(false);
    this.healthListeners.clear();
    this.handlers.clear();
    await this.transport.close();
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
      InvalidationBus.logger.warn(
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
      s: this.id,
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

  private receive(text: string): void {
    const message = parseMessage(text);
    if (message === undefined) {
      InvalidationBus.logger.warn('ignored a malformed bus message');
      return;
    }
    if (message.s === this.id || this.closed) return;
    const missed = this.tracker.check(message.s, message.q, message.b);
    if (missed > 0) this.gap(message.s, missed);
    this.handlers.get(message.n)?.(message);
  }

  /** Messages of `sender` were lost: which namespaces they concerned is unknown. */
  private gap(sender: string, missed: number): void {
    const now = new Date();
    const quiet = this.lastGap === undefined || now.getTime() - this.lastGap.getTime() > GAP_BURST;
    this.gapCount++;
    this.lastGap = now;
    if (quiet)
      InvalidationBus.logger.warn(
        `missed ${missed} message(s) from instance ${sender}; memory of every shared ` +
          'namespace cleared (further gaps in this burst are counted, not logged)',
      );
    for (const [namespace, handler] of this.handlers) handler({ s: sender, n: namespace, c: true });
  }

  private setConnected(up: boolean, serverTime?: number): void {
    if (up) {
      const since = serverTime ?? Date.now();
      this.clockOffset = since - Date.now();
      this.tracker.listening(since);
    }
    if (this.connected === up || (up && this.closed)) return;
    // Memory is cleared when the bus is back: what was sent meanwhile no longer matters.
    if (!up) this.tracker.reset();
    this.connected = up;
    // Only news is logged: not the first connect, nor the disconnect of a graceful close.
    if (up && this.everConnected)
      InvalidationBus.logger.log('connected; memory tiers trusted again');
    if (!up && !this.closed)
      InvalidationBus.logger.warn('disconnected; shared namespaces bypass memory until it is back');
    this.everConnected ||= up;
    for (const listener of this.healthListeners) listener(up);
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
