import { Logger } from '@nestjs/common';
import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

/** What the module logs about its connections: news once, with the address and the cause. */
describe('connection logs', () => {
  let logged: string[];

  beforeEach(() => {
    logged = [];
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((message: any, ..._rest: any[]) => {
        logged.push(`${level} ${String(message)}`);
      });
    }
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(`console.error ${args.map(String).join(' ')}`);
    });
  });

  afterEach(() => jest.restoreAllMocks());

  it('an unknown host: one warning naming the address and the cause, never an unhandled error event', async () => {
    const cache = await startCacheApp({
      prefix: 'logs',
      redis: { url: 'redis://no-such-host.invalid:6390' },
      namespaces: [{ name: 'a' }],
    });
    try {
      // Two more failed attempts of the client: the bus's subscriber failed meanwhile too.
      const client = (cache.service as any).redis.client as NodeJS.EventEmitter;
      let errors = 0;
      client.on('error', () => (errors += 1));
      await eventually(() => expect(errors).toBeGreaterThanOrEqual(2));
      await cache.ns('a').get('k');
    } finally {
      await cache.close();
    }
    const unreachable = logged.filter((line) => line.includes('not reachable'));
    expect(unreachable).toEqual([
      expect.stringMatching(
        /^warn Redis is not reachable yet at no-such-host\.invalid:6390 \(.*(ENOTFOUND|EAI_AGAIN).*\); the cache runs degraded until it is$/,
      ),
    ]);
    expect(logged.join('\n')).not.toMatch(/Unhandled error event/);
  });

  it('connecting for the first time and closing gracefully log no bus news', async () => {
    const redis = await RedisServer.start();
    try {
      const cache = await startCacheApp({
        prefix: 'logs',
        redis: { url: redis.url },
        namespaces: [{ name: 'a' }],
      });
      await eventually(() =>
        expect(cache.service.info().backends.bus).toMatchObject({ connected: true }),
      );
      await cache.ns('a').set('k', 1);
      await cache.close();
    } finally {
      await redis.stop();
    }
    const text = logged.join('\n');
    expect(text).not.toMatch(/trusted again|disconnected|connection lost/);
    expect(logged.filter((line) => line.startsWith('warn') || line.startsWith('error'))).toEqual(
      [],
    );
  });

  it('a periodic flush logs nothing', async () => {
    const cache = await startCacheApp({
      prefix: 'logs',
      persistence: { dataSource: { type: 'sqljs' }, flushInterval: '1h' },
      namespaces: [{ name: 'p', persistence: PersistenceLevel.PERIODIC }],
    });
    try {
      await cache.ns('p').set('k', 1);
      const before = logged.length;
      await cache.service.flush();
      expect(logged.slice(before)).toEqual([]);
    } finally {
      await cache.close();
    }
  });
});
