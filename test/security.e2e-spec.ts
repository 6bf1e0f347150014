import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';
import { TcpProxy } from './servers/tcp-proxy';

describe('hostile data and a hostile network', () => {
  it('cannot pollute prototypes through a persisted row', async () => {
    const database = await PostgresDatabase.create();
    const options = {
      namespaces: [{ name: 'rows', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: { dataSource: { type: 'postgres' as const, url: database.url } },
    };
    try {
      const first = await startCacheApp(options);
      await first.ns('rows').set('k', { safe: true });
      await first.close();
      await database.query(
        `UPDATE cache_storage SET value = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'::jsonb`,
      );
      const second = await startCacheApp(options);
      const loaded = (await second.ns('rows').get('k')) as Record<string, unknown> | undefined;
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
      expect((loaded as { polluted?: unknown } | undefined)?.polluted).toBeUndefined();
      await second.close();
    } finally {
      await database.drop();
    }
  });

  it('stores keys that look like SQL as data', async () => {
    const database = await PostgresDatabase.create();
    const app = await startCacheApp({
      namespaces: [
        { name: 'rows', persistence: PersistenceLevel.ON_CHANGE },
        { name: 'table', tiers: ['postgres'] },
      ],
      persistence: { dataSource: { type: 'postgres', url: database.url } },
    });
    try {
      const hostile = "x'); DROP TABLE cache_storage; --";
      await app.ns('rows').set(hostile, 'v');
      await app.ns('table').set(hostile, 'v');
      expect(await app.ns('table').get(hostile)).toBe('v');
      expect(await app.ns('table').invalidatePattern("x'*")).toBe(1);
      const rows = await database.query<{ key: string }>(
        'SELECT key FROM cache_storage WHERE namespace = $1',
        ['rows'],
      );
      expect(rows).toEqual([{ key: hostile }]);
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('holds its timeouts when the network to Redis turns slow, and recovers when it is fast again', async () => {
    const redis = await RedisServer.start();
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: redis.port });
    const app = await startCacheApp({
      redis: { host: '127.0.0.1', port: proxy.port, commandTimeout: '150ms', retryAfter: '100ms' },
      namespaces: [{ name: 'remote', tiers: ['redis'] }],
    });
    try {
      await app.ns('remote').set('k', 'v');
      proxy.delay = 1000;
      const started = Date.now();
      for (let i = 0; i < 5; i++) expect(await app.ns('remote').get('k')).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1500);
      expect(app.ns('remote').stats().errors).toBeGreaterThan(0);
      proxy.delay = 0;
      await eventually(async () => expect(await app.ns('remote').get('k')).toBe('v'));
    } finally {
      await app.close();
      await proxy.cut();
      await redis.stop();
    }
  }, 20_000);
});
