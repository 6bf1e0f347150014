import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';
import { TcpProxy } from './servers/tcp-proxy';

/**
 * `redis.commandTimeout: Infinity` waits without a limit: no timer is set for it (Node would
 * fire one of Infinity after 1 ms), so a slow Redis is waited for, by the bus heartbeat too.
 */
describe('Redis commandTimeout of Infinity', () => {
  let server: RedisServer;
  let proxy: TcpProxy;
  let app: CacheApp;

  beforeEach(async () => {
    server = await RedisServer.start();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port });
    app = await startCacheApp({
      redis: { url: `redis://127.0.0.1:${proxy.port}`, commandTimeout: Infinity },
      namespaces: [{ name: 'both', tiers: ['memory', 'redis'] }],
    });
  });
  afterEach(async () => {
    proxy.delay = 0;
    await app.close();
    await proxy.cut();
    await server.stop();
  });

  const busConnected = (): boolean | undefined => app.service.info().backends.redis?.bus?.connected;

  it('keeps the bus up across heartbeats answered slowly', async () => {
    await eventually(() => expect(busConnected()).toBe(true));
    proxy.delay = 20;
    const direct = new Redis(server.port, '127.0.0.1');
    try {
      const pings = async (): Promise<number> => {
        const stats = await direct.info('commandstats');
        return Number(/cmdstat_ping:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      };
      const before = await pings();
      // Heartbeats reach the server, each answered 40 ms after it was sent; the third reaching
      // it means the first two were answered.
      await eventually(async () => expect(await pings()).toBeGreaterThanOrEqual(before + 3));
      expect(busConnected()).toBe(true);
    } finally {
      direct.disconnect();
    }
  });
});
