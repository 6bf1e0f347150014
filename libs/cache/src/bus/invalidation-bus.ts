import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { parseMessage, type BusMessage } from './bus-message';
import { BusPublisher } from './bus-publisher';
import type { BusTransport, BusTransportKind } from './bus-transport';
import { SenderTracker } from './sender-tracker';
import { quoted } from '../logging/log-text';

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
 * Writes of one instance tell every other to drop those keys from memory: they are announced
 * through `publisher` (`BusPublisher`), and the messages of the others routed here to their
 * namespace's handler.
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
  /** Announces this instance's writes and removals to the others. */
  readonly publisher: BusPublisher;
  private connected = false;
  private readonly handlers = new Map<string, BusHandler>();
  private readonly healthListeners = new Set<(up: boolean) => void>();
  private readonly tracker = new SenderTracker();
  private closed = false;
  private everConnected = false;
  private gapCount = 0;
  private lastGap: Date | undefined;

  constructor(
    /** What carries the messages. */
    readonly transport: BusTransport,
    onPublishError: (error: Error) => void,
  ) {
    this.publisher = new BusPublisher(this.id, transport, onPublishError);
  }

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

  /**
   * Sends what is pending, waits up to `ms` for what is on its way (a frozen server never
   * answers), then stops listening.
   */
  async close(ms = Infinity): Promise<void> {
    if (this.closed) return;
    const draining = this.publisher.close(ms);
    this.closed = true;
    await draining;
    this.setConnected(false);
    this.healthListeners.clear();
    this.handlers.clear();
    await this.transport.close();
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
        `missed ${missed} message(s) from instance ${quoted(sender)}; memory of every shared ` +
          'namespace cleared (further gaps in this burst are counted, not logged)',
      );
    for (const [namespace, handler] of this.handlers) handler({ s: sender, n: namespace, c: true });
  }

  private setConnected(up: boolean, serverTime?: number): void {
    if (up) {
      const since = serverTime ?? Date.now();
      this.publisher.clockOffset = since - Date.now();
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
