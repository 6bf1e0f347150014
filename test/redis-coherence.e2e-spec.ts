import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { itDropsTheOtherInstancesMemory } from './servers/coherence-cases';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

describe('two app instances on one Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  let a: CacheApp;
  let b: CacheApp;
  let run = 0;

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await admin.quit();
    await server.stop();
  });

  beforeEach(async () => {
    const options = {
      prefix: `app${++run}`,
      redis: { url: server.url },
      namespaces: ['shared', { name: 'remote', tiers: ['redis' as const] }],
    };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('defaults to memory over Redis and reports both backends', () => {
    expect(a.ns('shared').settings.tiers).toEqual(['memory', 'redis']);
    expect(a.service.info().backends.redis).toMatchObject({
      healthy: true,
      status: 'ready',
      circuit: 'closed',
      bus: { connected: true },
    });
  });

  it("sees the other instance's writes, even over a value it holds in memory", async () => {
    await a.ns('shared').set('k', { v: 1, when: new Date('2020-01-01T00:00:00Z') });
    const seen = await b.ns<{ v: number; when: Date }>('shared').get('k');
    expect(seen).toEqual({ v: 1, when: new Date('2020-01-01T00:00:00Z') });
    expect(seen?.when).toBeInstanceOf(Date);
    await a.ns('shared').set('k', { v: 2, when: new Date(0) });
    await eventually(async () =>
      expect(await b.ns('shared').get('k')).toEqual({ v: 2, when: new Date(0) }),
    );
  });

  itDropsTheOtherInstancesMemory(() => ({ a, b }));

  it('answers memory hits without a Redis round trip', async () => {
    await a.ns('shared').set('hot', 1);
    expect(await a.ns('shared').get('hot')).toBe(1);
    const gets = async (): Promise<number> => {
      const stats = await admin.info('commandstats');
      return Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    };
    const before = await gets();
    for (let i = 0; i < 20; i++) expect(await a.ns('shared').get('hot')).toBe(1);
    expect(await gets()).toBe(before);
  });

  it.each(['shared', 'remote'])(
    '%s: hit and miss listeners that throw never break a read below memory, nor its counts',
    async (name) => {
      const reader = a.ns<number>(name);
      for (const event of ['hit', 'miss'] as const) {
        reader.on(event, () => {
          throw new Error(`a broken ${event} listener`);
        });
      }
      await b.ns<number>(name).setMany([
        ['x', 1],
        ['y', 2],
      ]);
      expect(await reader.get('x')).toBe(1);
      expect(await reader.get('none')).toBeUndefined();
      expect(await reader.getMany(['y', 'none', 'x'])).toEqual([2, undefined, 1]);
      expect(reader.stats()).toMatchObject({ hits: 3, misses: 2 });
    },
  );

  it('keeps counters and set-if-absent atomic across instances', async () => {
    const calls = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).ns('shared').increment('hits'),
    );
    const results = await Promise.all(calls);
    expect(new Set(results).size).toBe(40);
    expect(Math.max(...results)).toBe(40);
    expect(await b.ns('shared').get('hits')).toBe(40);
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).ns('remote').setIfAbsent('lock', i)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it.each([
    ['lock: true', true],
    // Redis takes whole milliseconds: a fraction is rounded up, never sent as it is.
    ['a lock.ttl of a fraction of a millisecond', { ttl: 1500.5 }],
    ["lock.ttl '1500.5ms'", { ttl: '1500.5ms' }],
  ] as const)('runs one loader across instances with %s', async (_label, lock) => {
    const errors: unknown[] = [];
    a.ns('remote').on('error', ({ error }) => errors.push(error));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const loader = async (): Promise<string> => {
      calls++;
      await gate;
      return 'loaded once';
    };
    const misses: string[] = [];
    b.ns('remote').on('miss', ({ key }) => misses.push(key));
    const first = a.ns<string>('remote').getOrSet('k', loader, { lock });
    await eventually(() => expect(calls).toBe(1));
    const second = b.ns<string>('remote').getOrSet('k', loader, { lock: { wait: '5s' } });
    await eventually(() => expect(misses).toEqual(['k']));
    release();
    expect(await Promise.all([first, second])).toEqual(['loaded once', 'loaded once']);
    expect(calls).toBe(1);
    expect(errors).toEqual([]);
  });

  it('ignores its own bus messages and batches keys of one tick into one message', async () => {
    const messages: string[] = [];
    const listener = new Redis(server.url);
    await listener.subscribe(`app${run}:cache-bus`);
    listener.on('message', (_channel, text: string) => messages.push(text));
    await a.ns('shared').setMany([
      ['x', 1],
      ['y', 2],
      ['z', 3],
    ]);
    await eventually(() => expect(messages).toHaveLength(1));
    expect(JSON.parse(messages[0])).toMatchObject({ n: 'shared', k: ['x', 'y', 'z'] });
    expect(await a.ns('shared').get('x')).toBe(1);
    expect(a.ns('shared').stats().entries).toBe(3);
    await listener.quit();
  });

  it('clears memory after its bus was cut, since it may have missed messages', async () => {
    await a.ns('shared').set('k', 'v1');
    await eventually(async () => {
      expect(await b.ns('shared').get('k')).toBe('v1');
      expect(b.ns('shared').stats().entries).toBe(1);
    });
    // Drops every subscriber; B reconnects on its own, but misses what is published meanwhile.
    await admin.client('KILL', 'TYPE', 'pubsub');
    await a.ns('shared').set('k', 'v2');
    const busOf = (app: CacheApp): boolean | undefined =>
      app.service.info().backends.redis?.bus?.connected;
    await eventually(() => expect(busOf(b)).toBe(false));
    await eventually(() => expect(busOf(b)).toBe(true));
    expect(await b.ns('shared').get('k')).toBe('v2');
  });
});
