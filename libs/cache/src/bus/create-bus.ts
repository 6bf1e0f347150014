import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ClientConfig } from 'pg';
import type { RedisClient } from '../redis/redis-connection';
import { InvalidationBus } from './invalidation-bus';
import { PostgresTransport } from './postgres.transport';
import { RedisTransport } from './redis.transport';
import { loggedMessage } from '../logging/log-text';

const logger = new Logger('CacheBus');

/** How often a transport checks its listening connection, in ms. */
const HEARTBEAT = 1000;

/**
 * The fields of TypeORM's PostgreSQL `DataSourceOptions` the bus connects with (TypeORM itself
 * is not needed to read them).
 */
export interface PostgresSourceOptions {
  readonly type: 'postgres';
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string | (() => string) | (() => Promise<string>);
  readonly database?: string;
  readonly ssl?: ClientConfig['ssl'];
  readonly connectTimeoutMS?: number;
  readonly applicationName?: string;
  readonly extra?: Record<string, unknown>;
  readonly replication?: { readonly master?: Omit<PostgresSourceOptions, 'type'> };
}

/**
 * The PostgreSQL options of `persistence.dataSource` (TypeORM `DataSourceOptions`, or a
 * `DataSource` and its `options`); undefined for any other database or none.
 */
export function postgresSourceOf(source: unknown): PostgresSourceOptions | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const candidate =
    (source as { type?: unknown }).type === undefined
      ? (source as { options?: unknown }).options
      : source;
  return typeof candidate === 'object' &&
    candidate !== null &&
    (candidate as { type?: unknown }).type === 'postgres'
    ? (candidate as PostgresSourceOptions)
    : undefined;
}

/**
 * The channel of `prefix`'s bus: a PostgreSQL identifier, readable (the prefix's letters and
 * digits) and unique (a hash of the whole prefix), so two applications on one database never
 * hear each other.
 */
export function postgresChannel(prefix: string): string {
  const readable = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 24);
  const hash = createHash('sha256').update(prefix).digest('hex').slice(0, 16);
  return `cache_bus_${readable}_${hash}`;
}

/** How `pg` reaches the database of `source` (its primary, when replicated). */
export function postgresConnectionOf(source: PostgresSourceOptions): ClientConfig {
  const target = source.replication?.master ?? source;
  const config: ClientConfig = {
    ...(source.extra as ClientConfig | undefined),
    connectionString: target.url,
    host: target.host,
    port: target.port,
    user: target.username,
    password: target.password,
    database: target.database,
    ssl: target.ssl ?? source.ssl,
    connectionTimeoutMillis: source.connectTimeoutMS ?? 10_000,
    application_name: source.applicationName ?? 'nest-tiered-cache bus',
    keepAlive: true,
  };
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
}

/**
 * The bus of `prefix` over PostgreSQL LISTEN/NOTIFY, on the database of `source` (the
 * PostgreSQL `persistence.dataSource`). Start it with `start()`, close it with `close()`.
 */
export function createPostgresBus(
  source: PostgresSourceOptions,
  prefix: string,
  settings: { timeout?: number; maxBackoff?: number } = {},
): InvalidationBus {
  const transport = new PostgresTransport({
    channel: postgresChannel(prefix),
    connection: postgresConnectionOf(source),
    heartbeat: HEARTBEAT,
    timeout: settings.timeout ?? 2000,
    maxBackoff: settings.maxBackoff ?? 5000,
  });
  return new InvalidationBus(transport, (error) =>
    logger.warn(`bus publish failed: ${loggedMessage(error)}`),
  );
}

/**
 * The bus of `prefix` over Redis pub/sub: publishes on `publisher`, listens on `subscriber` (a
 * dedicated connection the bus closes), pings it every second within `timeout` ms.
 */
export function createRedisBus(
  publisher: RedisClient,
  subscriber: RedisClient,
  prefix: string,
  timeout: number,
): InvalidationBus {
  const transport = new RedisTransport(publisher, subscriber, {
    channel: `${prefix}:cache-bus`,
    heartbeat: HEARTBEAT,
    timeout,
  });
  return new InvalidationBus(transport, (error) =>
    logger.warn(`bus publish failed: ${loggedMessage(error)}`),
  );
}
