import { startCacheApp } from './servers/cache-app';
import { RedisServer } from './servers/redis-server';

describe('Redis with AUTH and an ACL user', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await RedisServer.start([
      '--requirepass',
      'default-secret',
      '--user',
      'cacheuser',
      'on',
      '>cache-secret',
      '~*',
      '&*',
      '+@all',
    ]);
  });
  afterAll(() => server.stop());

  it('works with an ACL user and password in the URL', async () => {
    const url = new URL(server.url);
    url.username = 'cacheuser';
    url.password = 'cache-secret';
    const app = await startCacheApp({
      prefix: 'acl',
      redis: { url: url.toString() },
      namespaces: ['s'],
    });
    try {
      await app.ns('s').set('k', 'v');
      expect(await app.ns('s').get('k')).toBe('v');
      expect(app.service.info().backends.redis).toMatchObject({
        healthy: true,
        bus: { connected: true },
      });
    } finally {
      await app.close();
    }
  });

  it('works with ioredis options (password only)', async () => {
    const app = await startCacheApp({
      prefix: 'pw',
      redis: { host: '127.0.0.1', port: server.port, password: 'default-secret' },
      namespaces: ['s'],
    });
    try {
      await app.ns('s').set('k', 1);
      expect(await app.ns('s').increment('k')).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('degrades instead of failing with a wrong password, and says so', async () => {
    const app = await startCacheApp({
      prefix: 'bad',
      redis: { host: '127.0.0.1', port: server.port, password: 'wrong', commandTimeout: '200ms' },
      namespaces: ['s'],
    });
    try {
      await app.ns('s').set('k', 'memory only');
      expect(await app.ns('s').get('k')).toBe('memory only');
      expect(app.service.info().backends.redis?.healthy).toBe(false);
    } finally {
      await app.close();
    }
  });
});
