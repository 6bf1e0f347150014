import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

/**
 * Commands reach Redis in the order the cache sends them, scripts included, on a server that
 * does not hold the cache's scripts yet (a new or restarted one): a script sent by SHA comes back
 * NOSCRIPT, and one sent again by body only then would land after the commands sent meanwhile.
 */
describe('Redis script order', () => {
  let server: RedisServer;
  let app: CacheApp;

  beforeEach(async () => {
    server = await RedisServer.start();
    app = await startCacheApp({
      redis: { url: server.url },
      namespaces: [{ name: 'remote', tiers: ['redis'] }],
    });
  });
  afterEach(async () => {
    await app.close();
    await server.stop();
  });

  /**
   * A tagged write (a script) and a plain one sent together, in either order: the last one sent
   * stays. A script sent apart from the client's auto-pipelined batches would overtake them.
   */
  const lastWriteWins = async (key: string): Promise<void> => {
    const remote = app.ns<string>('remote');
    await Promise.all([remote.set(key, 'first', { tags: ['t'] }), remote.set(key, 'second')]);
    expect(await remote.get(key)).toBe('second');
    await Promise.all([remote.set(key, 'third'), remote.set(key, 'fourth', { tags: ['t'] })]);
    expect(await remote.get(key)).toBe('fourth');
  };

  it("keeps a new server's first script in its place among the writes", async () => {
    await lastWriteWins('k');
  });

  it('keeps the first script after a restart in its place among the writes', async () => {
    await lastWriteWins('warm');
    await server.kill();
    await server.restart();
    await eventually(() => expect(app.service.info().backends.redis?.healthy).toBe(true));
    await lastWriteWins('k');
  });
});
