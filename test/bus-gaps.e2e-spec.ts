import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { createPostgresBus, createRedisBus } from '../libs/cache/src/bus/create-bus';
import type { InvalidationBus } from '../libs/cache/src/bus/invalidation-bus';
import { NamespaceChannel } from '../libs/cache/src/bus/namespace-channel';
import { PersistenceLevel } from '../libs/cache/src/options/persistence-level';
import { MemoryTier } from '../libs/cache/src/tiers/memory.tier';
import { dropOutgoing } from './servers/drop-outgoing';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/** One instance's side of the bus: two namespaces with a memory tier each. */
interface Instance {
  readonly bus: InvalidationBus;
  readonly users: NamespaceChannel;
  readonly posts: NamespaceChannel;
  readonly memory: { readonly users: MemoryTier; readonly posts: MemoryTier };
  close(): Promise<void>;
}

interface Transport {
  readonly name: string;
  /** A started bus for `prefix`, and what closes it. */
  open(prefix: string): Promise<{ bus: InvalidationBus; close(): Promise<void> }>;
}

const entry = (value: unknown) => ({
  value,
  size: 8,
  expiresAt: Infinity,
  persistence: PersistenceLevel.MEMORY_ONLY,
  tags: ['t'],
});

async function instance(transport: Transport, prefix: string): Promise<Instance> {
  const { bus, close } = await transport.open(prefix);
  const memory = {
    users: new MemoryTier({ maxEntries: 10_000 }),
    posts: new MemoryTier({ maxEntries: 10_000 }),
  };
  return {
    bus,
    users: new NamespaceChannel(bus, 'users', memory.users),
    posts: new NamespaceChannel(bus, 'posts', memory.posts),
    memory,
    close,
  };
}

describe.each<[string]>([['redis'], ['postgres']])('the bus over %s', (kind) => {
  let redis: RedisServer | undefined;
  let database: PostgresDatabase | undefined;
  let transport: Transport;
  let run = 0;
  let prefix: string;
  const open: Instance[] = [];

  beforeAll(async () => {
    if (kind === 'redis') {
      const server = (redis = await RedisServer.start());
      transport = {
        name: 'redis',
        async open(prefix) {
          const publisher = new Redis(server.url);
          const bus = createRedisBus(publisher, publisher.duplicate(), prefix, 1000);
          await bus.start();
          return {
            bus,
            close: async () => {
              await bus.close();
              await publisher.quit();
            },
          };
        },
      };
    } else {
      const db = (database = await PostgresDatabase.create());
      transport = {
        name: 'postgres',
        async open(prefix) {
          const bus = createPostgresBus({ type: 'postgres', url: db.url }, prefix);
          await bus.start();
          return { bus, close: () => bus.close() };
        },
      };
    }
  });
  afterAll(async () => {
    await redis?.stop();
    await database?.drop();
  });

  beforeEach(() => {
    prefix = `gaps${++run}`;
  });
  afterEach(async () => {
    for (const one of open.splice(0)) await one.close();
    jest.restoreAllMocks();
  });

  const start = async (): Promise<Instance> => {
    const one = await instance(transport, prefix);
    open.push(one);
    expect(one.bus.healthy).toBe(true);
    return one;
  };

  /** B holds k1 and k2 in `users` and p1 in `posts`. */
  const fill = (b: Instance): void => {
    b.memory.users.set('k1', entry('old'));
    b.memory.users.set('k2', entry('old'));
    b.memory.posts.set('p1', entry('old'));
  };

  it('carries keys, tags, patterns and clears with no gap in order', async () => {
    const a = await start();
    const b = await start();
    fill(b);
    a.users.keys(['k1']);
    await eventually(() => expect(b.memory.users.holds('k1')).toBe(false));
    expect(b.memory.users.holds('k2')).toBe(true);
    a.posts.tags(['t']);
    await eventually(() => expect(b.memory.posts.holds('p1')).toBe(false));
    a.users.pattern('k*');
    await eventually(() => expect(b.memory.users.holds('k2')).toBe(false));
    b.memory.users.set('k3', entry('old'));
    a.users.clear();
    await eventually(() => expect(b.memory.users.holds('k3')).toBe(false));
    expect(b.bus.gaps).toBe(0);
    expect(b.bus.health()).toEqual({ transport: kind, connected: true, gaps: 0 });
  });

  it('notices a dropped message at the next one and drops what memory holds', async () => {
    const a = await start();
    const b = await start();
    a.users.keys(['warm-up']);
    fill(b);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    dropOutgoing(a.bus.transport, 1);
    a.users.keys(['k1']); // lost: B would keep serving the old k1
    await new Promise((resolve) => setImmediate(resolve));
    a.posts.keys(['unrelated']);
    await eventually(() => expect(b.bus.gaps).toBe(1));
    // Converged: the namespace of the lost message cannot be known, so every one is cleared.
    expect(b.memory.users.holds('k1')).toBe(false);
    expect(b.memory.users.holds('k2')).toBe(false);
    expect(b.memory.posts.holds('p1')).toBe(false);
    expect(b.bus.lastGapAt).toBeInstanceOf(Date);
    expect(b.bus.health()).toMatchObject({ gaps: 1, lastGapAt: b.bus.lastGapAt?.toISOString() });
    expect(
      warn.mock.calls.filter(([text]) => String(text).includes('missed 1 message')),
    ).toHaveLength(1);
    // The sender itself saw nothing wrong.
    expect(a.bus.gaps).toBe(0);
  });

  it('counts every gap of a burst and logs it once', async () => {
    const a = await start();
    const b = await start();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    for (let i = 0; i < 3; i++) {
      dropOutgoing(a.bus.transport, 2);
      a.users.tags(['x']);
      a.users.tags(['y']);
      a.users.tags(['z']);
    }
    await eventually(() => expect(b.bus.gaps).toBe(3));
    expect(warn.mock.calls.filter(([text]) => String(text).includes('missed'))).toEqual([
      [expect.stringContaining('missed 2 message(s)')],
    ]);
  });

  it('notices a sender first heard mid-stream after it started listening', async () => {
    const b = await start();
    const a = await start();
    fill(b);
    dropOutgoing(a.bus.transport, 1);
    a.users.keys(['k1']);
    await new Promise((resolve) => setImmediate(resolve));
    a.users.keys(['k2']);
    await eventually(() => expect(b.bus.gaps).toBe(1));
    expect(b.memory.posts.holds('p1')).toBe(false);
  });

  it('hears a restarted sender from its first message, with no gap', async () => {
    const b = await start();
    const a = await start();
    a.users.tags(['x']);
    a.users.tags(['y']);
    await open.splice(open.indexOf(a), 1)[0].close();
    const again = await start();
    fill(b);
    again.users.keys(['k1']);
    await eventually(() => expect(b.memory.users.holds('k1')).toBe(false));
    expect(b.memory.posts.holds('p1')).toBe(true);
    expect(b.bus.gaps).toBe(0);
  });

  it('tells others to clear a namespace when an invalidation is too large for one message', async () => {
    const a = await start();
    const b = await start();
    fill(b);
    // JSON escapes each control character into six bytes: far over any payload limit.
    a.users.pattern('\u0001'.repeat(a.bus.transport.maxPayloadBytes));
    await eventually(() => expect(b.memory.users.holds('k1')).toBe(false));
    expect(b.memory.users.holds('k2')).toBe(false);
    expect(b.memory.posts.holds('p1')).toBe(true);
    expect(b.bus.gaps).toBe(0);
  });
});
