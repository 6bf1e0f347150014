import { Redis } from 'ioredis';
import type { CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

const healthy = (app: CacheApp): boolean => {
  const redis = app.service.info().backends.redis;
  return redis?.circuit === 'closed' && redis.bus?.connected === true;
};

describe('two instances after Redis was frozen', () => {
  let server: RedisServer;
  let a: CacheApp;
  let b: CacheApp;

  beforeEach(async () => {
    server = await RedisServer.start();
    const options: CacheModuleOptions = {
      redis: {
        url: server.url,
        commandTimeout: '200ms',
        failureThreshold: 2,
        // Long enough that the bus is back well before the circuit tries again.
        retryAfter: '8s',
      },
      namespaces: [{ name: 'shared', ttl: '1h' }],
    };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    server.resume();
    await a.close();
    await b.close();
    await server.stop();
  });

  it('read the same values for keys written during and right after the outage', async () => {
    const onA = a.ns<string>('shared');
    const onB = b.ns<string>('shared');
    await onA.set('old', 'before');
    await onA.set('during', 'before');
    await onA.set('after', 'before');
    expect(await onB.get('old')).toBe('before');

    server.pause();
    // Calls fail until both circuits open; the buses notice the silence on their own.
    await eventually(async () => {
      await onA.get('old');
      await onB.get('old');
      expect(a.service.info().backends.redis?.circuit).toBe('open');
      expect(b.service.info().backends.redis?.circuit).toBe('open');
    });
    await onA.set('during', 'written on A while frozen');
    await onB.set('old', 'written on B while frozen');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    server.resume();

    // The bus is back before the circuit: a write now reaches A's memory alone.
    await eventually(() => {
      expect(a.service.info().backends.redis?.bus?.connected).toBe(true);
      expect(a.service.info().backends.redis?.circuit).not.toBe('closed');
    });
    await onA.set('after', 'written on A beside the open circuit');

    // Reads make the trial calls that close both circuits.
    await eventually(async () => {
      await onA.get('old');
      await onB.get('old');
      expect(healthy(a) && healthy(b)).toBe(true);
    }, 15_000);
    const admin = new Redis(server.port);
    for (const key of ['old', 'during', 'after']) {
      const inRedis = await admin.get(`{cache:shared}:v:${key}`);
      expect(inRedis).not.toBeNull();
      const [fromA, fromB] = [await onA.get(key), await onB.get(key)];
      expect({ key, onA: fromA }).toEqual({ key, onA: fromB });
      // Read twice: the second read is from memory, filled by the first.
      expect(await onA.get(key)).toBe(fromA);
      expect(await onB.get(key)).toBe(fromB);
    }
    await admin.quit();
  }, 30_000);
});
