import { register } from 'prom-client';
import { startCacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

/** Sockets this process holds open. */
const sockets = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;

describe('metrics on a registry another app holds', () => {
  it('fails the second start with its option named, opening no connection, the first app unharmed', async () => {
    const redis = await RedisServer.start();
    const first = await startCacheApp({
      redis: { url: redis.url },
      namespaces: ['a'],
      metrics: true,
    });
    try {
      // The client and the bus's subscriber.
      await eventually(() => expect(first.service.info().backends.bus?.connected).toBe(true));
      const before = sockets();
      await expect(
        startCacheApp({ redis: { url: redis.url }, namespaces: ['b'], metrics: true }),
      ).rejects.toMatchObject({
        code: 'E_CACHE_INVALID_OPTION',
        message: expect.stringContaining('metrics: the registry already holds'),
      });
      // A client connects on the next tick of its creation: let any such tick run first.
      await new Promise((done) => setImmediate(done));
      expect(sockets()).toBe(before);
      await first.ns('a').get('k');
      expect(await register.metrics()).toContain('cache_misses_total{namespace="a"} 1');
    } finally {
      await first.close();
      await redis.stop();
    }
  });
});
