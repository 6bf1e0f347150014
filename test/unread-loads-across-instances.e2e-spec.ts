import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { loadAround, loadManyAround, type Change } from './servers/loads-around';
import { RedisServer } from './servers/redis-server';
import { TcpProxy } from './servers/tcp-proxy';

/**
 * A load whose first read failed (A's link to Redis was down) has no ticket to vouch for what the
 * key held: once the link is back, its store must not undo what B changed while it ran.
 */
describe('loads whose first read failed, across two instances on one Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  let proxy: TcpProxy;
  let a: CacheApp;
  let b: CacheApp;
  let prefix = '';
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
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
    prefix = `unread${++run}`;
    const namespaces = ['near', { name: 'far', tiers: ['redis' as const] }];
    // A reaches Redis through the proxy, so its link alone can be cut.
    const through = `redis://127.0.0.1:${proxy.port}`;
    a = await startCacheApp({ prefix, redis: { url: through, retryAfter: '50ms' }, namespaces });
    b = await startCacheApp({ prefix, redis: { url: server.url }, namespaces });
    await proxy.cut();
    await eventually(() => expect(a.service.info().backends.redis?.status).not.toBe('ready'));
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await proxy.cut();
  });

  /** Restores A's link and waits until A uses Redis again, then lets B make `change`. */
  const afterReconnect =
    (change: Change): Change =>
    async (other, namespace) => {
      await proxy.open();
      await eventually(() => expect(a.service.info().backends.redis?.healthy).toBe(true));
      await change(other, namespace);
    };

  /** What Redis holds for `key`: the value's JSON, or null. */
  const stored = async (namespace: string, key: string): Promise<string | null> => {
    const text = await admin.get(`{${prefix}:${namespace}}:v:${key}`);
    return text === null ? null : text.slice(text.lastIndexOf('\n') + 1);
  };

  describe.each(['near', 'far'])('namespace %s', (namespace) => {
    it('does not undo a write made on B after the link came back', async () => {
      const change = afterReconnect((other) => other.ns(namespace).set('k', 'new'));
      expect(await loadAround({ a, b }, namespace, 'k', change)).toBe('loaded');
      expect(await stored(namespace, 'k')).toBe('"new"');
    });

    it('does not undo a delete made on B after the link came back', async () => {
      await b.ns(namespace).set('k', 'old');
      const change = afterReconnect((other) => other.ns(namespace).delete('k'));
      expect(await loadAround({ a, b }, namespace, 'k', change)).toBe('loaded');
      expect(await stored(namespace, 'k')).toBeNull();
    });

    it('does not undo writes made on B during a batch load', async () => {
      const change = afterReconnect((other) => other.ns(namespace).set('x', 'new'));
      expect(await loadManyAround({ a, b }, namespace, ['x', 'y'], change)).toEqual([
        'loaded',
        'loaded',
      ]);
      expect(await stored(namespace, 'x')).toBe('"new"');
      expect(await stored(namespace, 'y')).toBe('"loaded"');
    });

    it('still stores a key nobody touched', async () => {
      const change = afterReconnect(async () => undefined);
      expect(await loadAround({ a, b }, namespace, 'k', change)).toBe('loaded');
      expect(await stored(namespace, 'k')).toBe('"loaded"');
      expect(await b.ns(namespace).get('k')).toBe('loaded');
    });
  });
});
