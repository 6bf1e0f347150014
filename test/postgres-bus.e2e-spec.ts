import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  createPostgresBus,
  postgresChannel,
  postgresConnectionOf,
  postgresSourceOf,
} from '../libs/cache/src/bus/create-bus';
import type { InvalidationBus } from '../libs/cache/src/bus/invalidation-bus';
import { NamespaceChannel } from '../libs/cache/src/bus/namespace-channel';
import { PersistenceLevel } from '../libs/cache/src/options/persistence-level';
import { MemoryTier } from '../libs/cache/src/tiers/memory.tier';
import { startDatabaseProxy } from './servers/database-proxy';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';

const entry = (value: unknown) => ({
  value,
  size: 8,
  expiresAt: Infinity,
  persistence: PersistenceLevel.MEMORY_ONLY,
});

describe('the bus over PostgreSQL LISTEN/NOTIFY', () => {
  let database: PostgresDatabase;
  const buses: InvalidationBus[] = [];
  let run = 0;
  let prefix: string;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
  });
  afterAll(() => database.drop());
  beforeEach(() => {
    prefix = `pgbus${++run}`;
  });
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
    jest.restoreAllMocks();
  });

  const start = async (
    source: Parameters<typeof createPostgresBus>[0] = { type: 'postgres', url: database.url },
    ofPrefix = prefix,
  ): Promise<{ bus: InvalidationBus; memory: MemoryTier; channel: NamespaceChannel }> => {
    const bus = createPostgresBus(source, ofPrefix, { timeout: 500, maxBackoff: 200 });
    buses.push(bus);
    await bus.start();
    const memory = new MemoryTier({ maxEntries: 10_000 });
    return { bus, memory, channel: new NamespaceChannel(bus, 'users', memory) };
  };

  /** Every payload sent on `prefix`'s channel, as a separate client hears it. */
  const listen = async (): Promise<{ payloads: string[]; stop(): Promise<void> }> => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const payloads: string[] = [];
    client.on('notification', (n) => payloads.push(n.payload ?? ''));
    await client.query(`LISTEN "${postgresChannel(prefix)}"`);
    return { payloads, stop: () => client.end() };
  };

  it('cuts the keys of one tick into NOTIFY payloads under 8000 bytes, losing none', async () => {
    const a = await start();
    const b = await start();
    const keys = Array.from({ length: 3000 }, (_, i) => `user:${i}:profile`);
    for (const key of keys) b.memory.set(key, entry('old'));
    const wire = await listen();
    a.channel.keys(keys);
    await eventually(() => expect(b.memory.usage().entries).toBe(0));
    // The test's own listener is a third connection: it hears the last NOTIFY in its own time.
    await eventually(() =>
      expect(wire.payloads.flatMap((payload) => JSON.parse(payload).k)).toHaveLength(keys.length),
    );
    expect(wire.payloads.length).toBeGreaterThan(1);
    for (const payload of wire.payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    expect(wire.payloads.flatMap((payload) => JSON.parse(payload).k)).toEqual(keys);
    expect(wire.payloads.map((payload) => JSON.parse(payload).q)).toEqual(
      wire.payloads.map((_, i) => i + 1),
    );
    expect(b.bus.gaps).toBe(0);
    await wire.stop();
  });

  it('scopes its channel by prefix: another application on the database hears nothing', async () => {
    const a = await start();
    const other = await start(undefined, `${prefix}-other`);
    other.memory.set('k', entry('theirs'));
    const same = await start();
    same.memory.set('k', entry('ours'));
    a.channel.keys(['k']);
    await eventually(() => expect(same.memory.holds('k')).toBe(false));
    expect(other.memory.holds('k')).toBe(true);
  });

  it.each([
    ['spaces and a colon', 'My App:v2'],
    ['non-ASCII letters and a slash', 'ünïcode/prefix'],
    ['300 characters', 'x'.repeat(300)],
    ['nothing', ''],
  ])('makes a valid, distinct channel of a prefix with %s', async (_label, odd) => {
    const channel = postgresChannel(odd);
    expect(channel).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
    expect(channel).not.toBe(postgresChannel(`${odd}x`));
    const a = await start(undefined, odd);
    const b = await start(undefined, odd);
    b.memory.set('k', entry('old'));
    a.channel.keys(['k']);
    await eventually(() => expect(b.memory.holds('k')).toBe(false));
  });

  it('reconnects after its connection is killed, and clears memory when back', async () => {
    const name = `bus-${prefix}`;
    const a = await start();
    const b = await start({ type: 'postgres', url: database.url, applicationName: name });
    b.memory.set('k', entry('old'));
    const states: boolean[] = [];
    b.bus.onHealthChange((up) => states.push(up));
    await database.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [name],
    );
    await eventually(() => expect(states).toEqual([false, true]));
    // Messages may have been missed meanwhile: nothing in memory is vouched for.
    expect(b.memory.holds('k')).toBe(false);
    b.memory.set('k2', entry('old'));
    a.channel.keys(['k2']);
    await eventually(() => expect(b.memory.holds('k2')).toBe(false));
    expect(b.bus.healthy).toBe(true);
  });

  it('starts while the database is unreachable, says so once, and listens once it is back', async () => {
    const { proxy, url } = await startDatabaseProxy(database);
    await proxy.cut();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { bus } = await start({
      type: 'postgres',
      host: '127.0.0.1',
      port: proxy.port,
      username: new URL(url).username,
      database: database.name,
    });
    expect(bus.healthy).toBe(false);
    expect(bus.health()).toMatchObject({ transport: 'postgres', connected: false });
    await eventually(() => expect(warn).toHaveBeenCalled());
    await proxy.open();
    await eventually(() => expect(bus.healthy).toBe(true));
    expect(
      warn.mock.calls.filter(([text]) => String(text).includes('cannot listen on PostgreSQL')),
    ).toEqual([[expect.stringContaining(`127.0.0.1:${proxy.port}/${database.name}`)]]);
    await bus.close();
    await proxy.cut();
  });

  it('counts a connection that stops answering as lost, and reconnects', async () => {
    const { proxy, url } = await startDatabaseProxy(database);
    const { bus } = await start({ type: 'postgres', url });
    expect(bus.healthy).toBe(true);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // Every byte held longer than the bus check waits (500 ms): the link is silent, not closed.
    proxy.delay = 700;
    await eventually(() => expect(bus.healthy).toBe(false));
    proxy.delay = 0;
    await eventually(() => expect(bus.healthy).toBe(true));
    await bus.close();
    await proxy.cut();
  });

  it('fails no caller while its connection is down; the others hear what was lost once it is back', async () => {
    const name = `bus-${prefix}`;
    const a = await start({ type: 'postgres', url: database.url, applicationName: name });
    const b = await start();
    b.memory.set('first', entry('old'));
    a.channel.keys(['first']);
    await eventually(() => expect(b.memory.holds('first')).toBe(false));
    b.memory.set('k', entry('old'));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await database.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [name],
    );
    await eventually(() => expect(a.bus.healthy).toBe(false));
    a.channel.keys(['k']); // cannot be sent: lost
    a.channel.keys(['k']);
    await eventually(() => expect(a.bus.healthy).toBe(true));
    // Sent again once the connection is back, though A announces nothing more.
    await eventually(() => expect(b.memory.holds('k')).toBe(false));
    expect(
      warn.mock.calls.filter(([text]) => String(text).includes('bus publish failed')),
    ).toHaveLength(1);
  });
});

describe('PostgreSQL bus connection settings', () => {
  it('reads them from DataSourceOptions or a DataSource, and from nothing else', () => {
    const options = { type: 'postgres' as const, url: 'postgres://u@db:5433/app' };
    expect(postgresSourceOf(options)).toBe(options);
    expect(postgresSourceOf(new DataSource(options))).toMatchObject(options);
    expect(postgresSourceOf({ type: 'sqljs' })).toBeUndefined();
    expect(postgresSourceOf(new DataSource({ type: 'sqljs' }))).toBeUndefined();
    expect(postgresSourceOf(undefined)).toBeUndefined();
  });

  it('maps TypeORM fields to pg ones, the primary when replicated', () => {
    expect(
      postgresConnectionOf({
        type: 'postgres',
        host: 'db',
        port: 5433,
        username: 'app',
        password: 'secret',
        database: 'shop',
        ssl: true,
        connectTimeoutMS: 3000,
        extra: { keepAliveInitialDelayMillis: 1000 },
      }),
    ).toEqual({
      host: 'db',
      port: 5433,
      user: 'app',
      password: 'secret',
      database: 'shop',
      ssl: true,
      connectionTimeoutMillis: 3000,
      application_name: 'nest-tiered-cache bus',
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
    });
    expect(
      postgresConnectionOf({
        type: 'postgres',
        replication: { master: { url: 'postgres://primary/app' } },
      }),
    ).toMatchObject({ connectionString: 'postgres://primary/app' });
  });
});
