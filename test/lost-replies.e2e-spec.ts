import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';
import { TcpProxy } from './servers/tcp-proxy';

/*
 * A command Redis ran whose reply was lost with the connection: the call fails (Redis may have
 * applied it, as the README says), and the client must never send it again once reconnected, or
 * an increment counts twice.
 */
describe('a reply lost with the connection, two instances on one Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  let proxy: TcpProxy;
  let a: CacheApp;
  let b: CacheApp;

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
    const namespaces = [{ name: 'far', tiers: ['redis' as const] }];
    // A's link alone is slowed, then cut; the timeout outlasts it, so only the cut ends the call.
    const through = { url: `redis://127.0.0.1:${proxy.port}`, commandTimeout: 10_000 };
    a = await startCacheApp({ prefix: 'lost', redis: through, namespaces });
    b = await startCacheApp({ prefix: 'lost', redis: { url: server.url }, namespaces });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await proxy.cut();
    await admin.quit();
    await server.stop();
  });

  it('counts an increment once, though its reply never came', async () => {
    expect(await a.ns('far').increment('c')).toBe(1);
    proxy.delay = 200;
    const lost = a.ns('far').increment('c');
    // Redis ran it; its reply is still on its way through the proxy when the link is cut.
    await eventually(async () => expect(await b.ns('far').get('c')).toBe(2));
    await proxy.cut();
    proxy.delay = 0;
    await proxy.open();
    await expect(lost).rejects.toMatchObject({ code: 'E_CACHE_UNAVAILABLE' });
    await eventually(() => expect(a.service.info().backends.redis?.healthy).toBe(true));
    // Sent after anything the client would send again on its reconnected link.
    expect(await a.ns('far').increment('c')).toBe(3);
    expect(await b.ns('far').get('c')).toBe(3);
  });
});
