import { timeLimit } from '../time-limit';
import type { RedisClient } from '../redis/redis-connection';
import type { BusTransport, TransportListener } from './bus-transport';

/** Settings of the Redis transport. */
export interface RedisTransportOptions {
  /** The pub/sub channel. */
  readonly channel: string;
  /** How often the subscriber connection is checked, in ms. */
  readonly heartbeat: number;
  /** A heartbeat that takes longer than this (ms) marks the bus down. */
  readonly timeout: number;
}

/**
 * The bus over Redis pub/sub: publishes on the shared client, listens on a dedicated subscriber
 * connection (which ioredis reconnects), and pings it so a silent link is noticed.
 */
export class RedisTransport implements BusTransport {
  readonly kind = 'redis' as const;
  /** Redis takes far more; this keeps one message from holding up the others. */
  readonly maxPayloadBytes = 512 * 1024;
  readonly channel: string;
  private listener?: TransportListener;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;
  private subscribed = false;
  /** Ends `start()`'s wait after the first subscription attempt. */
  private attempted?: () => void;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly options: RedisTransportOptions,
  ) {
    this.channel = options.channel;
  }

  async start(listener: TransportListener): Promise<void> {
    this.listener = listener;
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) listener.message(text);
    });
    this.subscriber.on('ready', () => void this.resubscribe());
    this.subscriber.on('close', () => this.setSubscribed(false));
    this.subscriber.on('error', () => undefined);
    this.heartbeat = setInterval(() => void this.check(), this.options.heartbeat);
    this.heartbeat.unref();
    // A fresh subscriber is still connecting: subscribe once it is ready (the 'ready' handler
    // does), or now if it already is.
    if (this.subscriber.status === 'ready') return this.resubscribe();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.subscriber.off('error', done);
        this.attempted = undefined;
        resolve();
      };
      this.subscriber.once('error', done);
      this.attempted = done;
    });
  }

  async publish(text: string): Promise<void> {
    await this.publisher.publish(this.channel, text);
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.setSubscribed(false);
    this.subscriber.disconnect();
    return Promise.resolve();
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
      this.setSubscribed(true, await this.serverTime());
    } catch {
      this.setSubscribed(false);
    }
    this.attempted?.();
  }

  /** Redis' clock in ms, or this process's when the publisher cannot answer. */
  private async serverTime(): Promise<number> {
    try {
      const [seconds, micros] = await this.publisher.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    } catch {
      return Date.now();
    }
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    try {
      await timeLimit(
        this.subscriber.ping(),
        this.options.timeout,
        () => new Error('bus heartbeat timed out'),
      );
      if (!this.subscribed && this.subscriber.status === 'ready') await this.resubscribe();
    } catch {
      this.setSubscribed(false);
    }
  }

  private setSubscribed(up: boolean, serverTime?: number): void {
    if (up && this.closed) return;
    if (this.subscribed === up && !up) return;
    this.subscribed = up;
    this.listener?.status(up, serverTime);
  }
}
