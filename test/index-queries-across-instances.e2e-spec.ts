import type { Redis } from 'ioredis';
import type { CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { RedisServer } from './servers/redis-server';

/**
 * `getByIndex` reads an index's keys, then their values: two round trips, between which another
 * instance may move a key to another index value. What it answers must still be indexed so.
 */
describe('index queries across two instances on one Redis', () => {
  let server: RedisServer;
  let a: CacheApp;
  let b: CacheApp;
  let run = 0;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    const options: CacheModuleOptions = {
      prefix: `index${++run}`,
      redis: { url: server.url },
      namespaces: ['shared', { name: 'remote', tiers: ['redis'] }],
    };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await a.close();
    await b.close();
  });

  /** Runs `change` on B right before A's next MGET (its read of the values) reaches Redis. */
  const beforeValuesRead = (change: () => Promise<unknown>): void => {
    const client = (a.service as any).backends.redis.client as Redis;
    const mget = client.mget.bind(client) as (...keys: unknown[]) => Promise<unknown>;
    jest.spyOn(client, 'mget').mockImplementationOnce((async (...keys: unknown[]) => {
      await change();
      return mget(...keys);
    }) as never);
  };

  describe.each(['shared', 'remote'])('namespace %s', (namespace) => {
    it('leaves out a value moved to another index value meanwhile', async () => {
      await a.ns(namespace).set('u1', { email: 'a@x' }, { indexes: { email: 'a@x' } });
      await a.ns(namespace).set('u2', { email: 'a@x' }, { indexes: { email: 'a@x' } });
      beforeValuesRead(() =>
        b.ns(namespace).set('u1', { email: 'b@x' }, { indexes: { email: 'b@x' } }),
      );
      expect(await a.ns(namespace).getByIndex('email', 'a@x')).toEqual([{ email: 'a@x' }]);
      expect(await a.ns(namespace).getByIndex('email', 'b@x')).toEqual([{ email: 'b@x' }]);
    });

    it('leaves out a value written again without the index meanwhile', async () => {
      await a.ns(namespace).set('u1', { email: 'a@x' }, { indexes: { email: 'a@x' } });
      beforeValuesRead(() => b.ns(namespace).set('u1', { email: 'none' }));
      expect(await a.ns(namespace).getByIndex('email', 'a@x')).toEqual([]);
    });
  });
});
