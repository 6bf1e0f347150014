import { startCacheApp } from './servers/cache-app';
import { RedisClusterServers, RedisServer } from './servers/redis-server';

describe('Redis topologies through the module', () => {
  it('works on a three-master Redis Cluster', async () => {
    const cluster = await RedisClusterServers.start(3);
    const app = await startCacheApp({
      prefix: 'clu',
      redis: { cluster: cluster.seeds },
      namespaces: ['users', 'orders'],
    });
    try {
      const users = app.ns<{ name: string }>('users');
      await users.setMany([
        ['u1', { name: 'a' }, { tags: ['team'], indexes: { name: 'a' } }],
        ['u2', { name: 'b' }, { tags: ['team'] }],
      ]);
      await app.ns('orders').set('o1', 1);
      expect(await users.getMany(['u1', 'u2', 'u3'])).toEqual([
        { name: 'a' },
        { name: 'b' },
        undefined,
      ]);
      expect(await users.getByIndex('name', 'a')).toEqual([{ name: 'a' }]);
      expect(await users.increment('count', 2)).toBe(2);
      expect(await users.invalidateTags(['team'])).toBe(2);
      expect(await users.invalidatePattern('*')).toBe(1);
      expect(await app.ns('orders').get('o1')).toBe(1);
      expect(app.service.info().backends.redis).toMatchObject({
        healthy: true,
        bus: { connected: true },
      });
    } finally {
      await app.close();
      await cluster.stop();
    }
  }, 60_000);

  it('finds the master through Sentinel', async () => {
    const master = await RedisServer.start();
    const sentinel = await RedisServer.startSentinel(master.port);
    const app = await startCacheApp({
      prefix: 'sen',
      redis: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'cachemaster' },
      namespaces: ['s'],
    });
    try {
      await app.ns('s').set('k', { via: 'sentinel' });
      expect(await app.ns('s').get('k')).toEqual({ via: 'sentinel' });
      expect(app.service.info().backends.redis?.healthy).toBe(true);
    } finally {
      await app.close();
      await sentinel.stop();
      await master.stop();
    }
  }, 30_000);
});
