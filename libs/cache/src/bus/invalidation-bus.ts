import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/redis-connection';

/** One invalidation on the wire: which instance sent it, for which namespace, and what. */
export interface BusMessage {
  /** Sender id; an instance ignores its own messages. */
  readonly s: string;
  /** Namespace. */
  readonly n: string;
  /** Keys written or deleted. */
  readonly k?: readonly string[];
  /** Tags invalidated. */
  readonly t?: readonly string[];
  /** Glob invalidated. */
  readonly p?: string;
  /** The namespace was cleared. */
  readonly c?: true;
}

/** Receives the messages of one namespace. */
export type BusHandler = (message: BusMessage) => void;

/** Settings of the bus. */
export interface InvalidationBusOptions {
  readonly channel: string;
  /** How often the subscriber connection is checked. */
  readonly heartbeat: number;
  /** A heartbeat that takes longer than this marks the bus down. */
  readonly timeout: number;
}

/**
 * Cross-instance invalidation over Redis pub/sub. Writes of one instance tell every other to drop
 * those keys from memory; keys written in the same tick travel in one message. The bus knows
 * whether it is connected: while it is not, namespaces stop trusting their memory tier, and when
 * it is back they clear it, since messages may have been missed.
 */
export class InvalidationBus {
  private static readonly logger = new Logger('CacheBus');
  /** This instance's id on the bus. */
  readonly id = randomUUID();
  private connected = false;
  private readonly handlers = new Map<string, BusHandler>();
  private readonly healthListeners = new Set<(up: boolean) => void>();
  private readonly pendingKeys = new Map<string, Set<string>>();
  private flushScheduled = false;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;
  private everConnected = false;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly options: InvalidationBusOptions,
    private readonly onPublishError: (error: Error) => void,
  ) {}

  /** True while messages flow both ways. */
  get healthy(): boolean {
    return this.connected;
  }

  /** Subscribes and starts watching the connection. */
  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.options.channel) this.receive(text);
    });
    this.subscriber.on('ready', () => void this.resubscribe());
    this.subscriber.on('close', () => this.setConnected(false));
    this.subscriber.on('error', () => undefined);
    this.heartbeat = setInterval(() => void this.check(), this.options.heartbeat);
    this.heartbeat.unref();
    // A fresh subscriber is still connecting: subscribe once it is ready (the 'ready' handler
    // does), or now if it already is.
    if (this.subscriber.status === 'ready') await this.resubscribe();
    else
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.subscriber.off('ready', done);
          this.subscriber.off('error', done);
          this.healthListeners.delete(onUp);
          resolve();
        };
        const onUp = (up: boolean): void => {
          if (up) done();
        };
        this.healthListeners.add(onUp);
        this.subscriber.once('error', done);
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

  /** Announces written or deleted keys; keys of one tick share one message per namespace. */
  announceKeys(namespace: string, keys: readonly string[]): void {
    if (keys.length === 0) return;
    let pending = this.pendingKeys.get(namespace);
    if (!pending) this.pendingKeys.set(namespace, (pending = new Set()));
    for (const key of keys) pending.add(key);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Announces a tag, pattern or clear invalidation at once. */
  announce(message: Omit<BusMessage, 's'>): void {
    this.publish({ s: this.id, ...message });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.flush();
    this.setConnected(false);
    this.healthListeners.clear();
    this.handlers.clear();
    this.subscriber.disconnect();
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [namespace, keys] of this.pendingKeys)
      this.publish({ s: this.id, n: namespace, k: [...keys] });
    this.pendingKeys.clear();
  }

  private publish(message: BusMessage): void {
    this.publisher.publish(this.options.channel, JSON.stringify(message)).catch((error: Error) => {
      this.onPublishError(error);
    });
  }

  private receive(text: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch {
      InvalidationBus.logger.warn('ignored a malformed bus message');
      return;
    }
    if (message.s === this.id) return;
    this.handlers.get(message.n)?.(message);
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.options.channel);
      this.setConnected(true);
    } catch {
      this.setConnected(false);
    }
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    const ping = this.subscriber.ping();
    const timeout = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('bus heartbeat timed out')), this.options.timeout).unref();
    });
    try {
      await Promise.race([ping, timeout]);
      if (!this.connected && this.subscriber.status === 'ready') await this.resubscribe();
    } catch {
      this.setConnected(false);
    }
  }

  private setConnected(up: boolean): void {
    if (this.connected === up || (up && this.closed)) return;
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
