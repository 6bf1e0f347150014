import { timeLimit } from '../time-limit';
import { Logger } from '@nestjs/common';
import type { Client, ClientConfig, Notification } from 'pg';
import { loadPeer } from '../optional-peer';
import type { BusTransport, TransportListener } from './bus-transport';
import { loggedMessage } from '../logging/log-text';

/** Settings of the PostgreSQL transport. */
export interface PostgresTransportOptions {
  /** The LISTEN/NOTIFY channel: a lower-case identifier of at most 63 bytes. */
  readonly channel: string;
  /** How to open the listening connection. */
  readonly connection: ClientConfig;
  /** How often the listening connection is checked, in ms. */
  readonly heartbeat: number;
  /** A check that takes longer than this (ms) counts the connection as lost. */
  readonly timeout: number;
  /** Longest pause between two reconnection attempts, in ms. */
  readonly maxBackoff: number;
}

/** NOTIFY refuses payloads of 8000 bytes or more. */
const NOTIFY_LIMIT = 7999;

/**
 * The bus over PostgreSQL LISTEN/NOTIFY: one connection per instance listens on the channel and
 * sends with `pg_notify` (autocommit, so a message leaves as soon as it is sent, after the write
 * it announces was committed). A lost connection (an error, its end, or a check left unanswered)
 * is replaced after a pause that doubles up to `maxBackoff`.
 */
export class PostgresTransport implements BusTransport {
  private static readonly logger = new Logger('CacheBus');
  readonly kind = 'postgres' as const;
  readonly maxPayloadBytes = NOTIFY_LIMIT;
  readonly channel: string;
  private listener?: TransportListener;
  private client?: Client;
  private listening = false;
  private closed = false;
  private attempt = 0;
  private heartbeat?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  /** The end of the queue of queries on `turnOf`. */
  private turn: Promise<void> = Promise.resolve();
  private turnOf?: Client;
  /** The outage's cause was logged: the next ones of the same outage are not. */
  private reported = false;

  constructor(private readonly options: PostgresTransportOptions) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.channel))
      throw new Error(`invalid PostgreSQL bus channel "${options.channel}"`);
    this.channel = options.channel;
  }

  async start(listener: TransportListener): Promise<void> {
    this.listener = listener;
    this.heartbeat = setInterval(() => void this.check(), this.options.heartbeat);
    this.heartbeat.unref();
    await this.connect();
  }

  async publish(text: string): Promise<void> {
    const client = this.client;
    if (client === undefined || !this.listening) throw new Error('the bus connection is down');
    await this.inTurn(client, () => client.query('SELECT pg_notify($1, $2)', [this.channel, text]));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.setListening(false);
    if (client) await endClient(client, this.options.timeout);
  }

  /** Opens a connection and listens; on failure, schedules the next attempt. */
  private async connect(): Promise<void> {
    if (this.closed) return;
    const { Client } = loadPeer<typeof import('pg')>('pg', 'bus (PostgreSQL)');
    const client = new Client(this.options.connection);
    this.client = client;
    client.on('notification', (notification: Notification) => {
      if (client === this.client && notification.channel === this.channel)
        this.listener?.message(notification.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      const { rows } = await client.query<{ now: number }>(
        'SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now',
      );
      if (client !== this.client) return;
      this.attempt = 0;
      this.reported = false;
      this.setListening(true, rows[0].now);
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  /** `client` failed: drop it, and try again after a pause unless closed. */
  private lost(client: Client, error: Error): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.setListening(false);
    void endClient(client, this.options.timeout);
    if (this.closed) return;
    if (!this.reported)
      PostgresTransport.logger.warn(
        `cannot listen on PostgreSQL at ${addressOf(this.options.connection)} ` +
          `(${loggedMessage(error)}); retrying`,
      );
    this.reported = true;
    const pause = Math.min(100 * 2 ** this.attempt, this.options.maxBackoff);
    this.attempt++;
    this.retry = setTimeout(() => void this.connect(), pause);
    this.retry.unref();
  }

  /** A query the connection must answer in time, or it counts as lost. */
  private async check(): Promise<void> {
    const client = this.client;
    if (this.closed || client === undefined || !this.listening) return;
    try {
      await timeLimit(
        this.inTurn(client, () => client.query('SELECT 1')),
        this.options.timeout,
        () => new Error('no answer to the bus check'),
      );
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  /** Runs `query` on `client` after the ones before it: pg wants one query at a time. */
  private inTurn<T>(client: Client, query: () => Promise<T>): Promise<T> {
    if (this.turnOf !== client) {
      this.turnOf = client;
      this.turn = Promise.resolve();
    }
    const result = this.turn.then(query);
    this.turn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private setListening(up: boolean, serverTime?: number): void {
    if (up && this.closed) return;
    if (!up && !this.listening) return;
    this.listening = up;
    this.listener?.status(up, serverTime);
  }
}

/** Ends `client` politely, or destroys its socket when the server does not answer in time. */
async function endClient(client: Client, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)));
  await Promise.race([client.end().catch(() => undefined), late]);
  clearTimeout(timer);
  // pg keeps the socket private; a dead peer would otherwise hold it (and the process) open.
  (
    client as unknown as { connection?: { stream?: { destroy(): void } } }
  ).connection?.stream?.destroy();
}

function addressOf(config: ClientConfig): string {
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      return `${url.hostname}:${url.port || 5432}${url.pathname}`;
    } catch {
      return 'the configured URL';
    }
  }
  return `${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}
