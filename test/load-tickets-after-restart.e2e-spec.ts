import { Redis } from 'ioredis';
import type { CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { loadAround, type Change } from './servers/loads-around';
import { RedisServer } from './servers/redis-server';

/**
 * A load's ticket holds the namespace's write counter; a Redis that restarts empty (or a replica
 * promoted before it saw the last removals) starts that counter again. A load that began before
 * must still not store over a removal made after.
 */
describe('load tickets across a Redis restart, two instances', () => {
  let server: RedisServer;
  let a: CacheApp;
  let b: CacheApp;

  beforeEach(async () => {
    server = await RedisServer.start();
    const options: CacheModuleOptions = {
      redis: { url: server.url, retryAfter: '50ms' },
      namespaces: ['near', { name: 'far', tiers: ['redis'] }],
    };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await server.stop();
  });

  /** Restarts Redis empty and waits until both instances use it again, then runs `change`. */
  const afterRestart =
    (change: Change): Change =>
    async (other, namespace) => {
      await server.kill();
      await server.restart();
      for (const app of [a, b]) {
        await eventually(() => expect(app.service.info().backends.redis?.healthy).toBe(true));
      }
      await change(other, namespace);
    };

  const removals: Array<[string, Change]> = [
    ['delete', (other, namespace) => other.ns(namespace).delete('k')],
    ['clear', (other, namespace) => other.ns(namespace).clear()],
    ['invalidatePattern', (other, namespace) => other.ns(namespace).invalidatePattern('k*')],
  ];

  describe.each(['near', 'far'])('namespace %s', (namespace) => {
    it.each(removals)('a load begun before does not undo a %s made after', async (_, remove) => {
      // Removals before the load move the write counter its ticket then holds.
      for (let i = 0; i < 3; i++) await b.ns(namespace).delete(`other${i}`);
      const change = afterRestart(async (other) => {
        await other.ns(namespace).set('k', 'written after the restart');
        await remove(other, namespace);
      });
      expect(await loadAround({ a, b }, namespace, 'k', change)).toBe('loaded');
      const admin = new Redis(server.url);
      try {
        expect(await admin.exists(`{cache:${namespace}}:v:k`)).toBe(0);
      } finally {
        await admin.quit();
      }
      expect(await b.ns(namespace).get('k')).toBeUndefined();
    });
  });
});
