import { Cluster, Redis } from 'ioredis';
import { looksLikeRedisClient, validateRedis } from './redis-settings';

describe('redis settings', () => {
  it('tells an ioredis client from connection options by its shape', async () => {
    const client = new Redis({ lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    try {
      expect(looksLikeRedisClient(client)).toBe(true);
      expect(looksLikeRedisClient(cluster)).toBe(true);
      expect(looksLikeRedisClient({ url: 'redis://localhost' })).toBe(false);
      expect(looksLikeRedisClient({ host: 'localhost', status: 'ready' })).toBe(false);
      expect(looksLikeRedisClient(null)).toBe(false);
      expect(validateRedis(client).connection).toBe(client);
    } finally {
      client.disconnect();
      cluster.disconnect();
    }
  });

  it('fills the tier settings from the defaults, or from the options', () => {
    expect(validateRedis({ url: 'redis://localhost' })).toMatchObject({
      commandTimeout: 500,
      failureThreshold: 5,
      retryAfter: 1000,
    });
    expect(
      validateRedis({ url: 'redis://localhost', commandTimeout: '2s', failureThreshold: 2 }),
    ).toMatchObject({ commandTimeout: 2000, failureThreshold: 2 });
    expect(() => validateRedis({ url: 'http://localhost' })).toThrow('redis.url');
  });

  it("refuses ioredis' keyPrefix on a client or in options, naming where", () => {
    const client = new Redis({ lazyConnect: true, keyPrefix: 'app:' });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], {
      lazyConnect: true,
      keyPrefix: 'app:',
    });
    try {
      expect(() => validateRedis(client)).toThrow('redis.options.keyPrefix: "app:"');
      expect(() => validateRedis(cluster)).toThrow('redis.options.keyPrefix');
    } finally {
      client.disconnect();
      cluster.disconnect();
    }
    expect(() => validateRedis({ host: 'localhost', keyPrefix: 'a:' })).toThrow('redis.keyPrefix');
    expect(() => validateRedis({ url: 'redis://localhost', options: { keyPrefix: 'a:' } })).toThrow(
      "set the module's prefix option instead",
    );
    expect(() =>
      validateRedis({
        cluster: [{ port: 1 }],
        clusterOptions: { redisOptions: { keyPrefix: 'a:' } },
      }),
    ).toThrow('redis.clusterOptions.redisOptions.keyPrefix');
    expect(
      validateRedis({ url: 'redis://localhost', options: { keyPrefix: '' } }).commandTimeout,
    ).toBe(500);
  });

  it("refuses ioredis' keyPrefix in the URL's query, which ioredis reads as an option", () => {
    expect(() => validateRedis({ url: 'redis://localhost:6379/?keyPrefix=app:' })).toThrow(
      'redis.url: keyPrefix "app:"',
    );
    expect(() => validateRedis({ url: 'rediss://localhost/0?tls=1&keyPrefix=a' })).toThrow(
      "set the module's prefix option instead",
    );
    expect(validateRedis({ url: 'redis://localhost/?keyPrefix=' }).commandTimeout).toBe(500);
    expect(validateRedis({ url: 'redis://localhost/?db=1' }).commandTimeout).toBe(500);
  });

  it("refuses keyPrefix on a Cluster's seeds, whose connections take it", () => {
    expect(() =>
      validateRedis({ cluster: [{ port: 7000 }, { port: 7001, keyPrefix: 'a:' }] }),
    ).toThrow('redis.cluster[1].keyPrefix: "a:"');
    expect(() => validateRedis({ cluster: ['redis://h:7000/?keyPrefix=a:'] })).toThrow(
      'redis.cluster[0]: keyPrefix "a:"',
    );
    // Typed out by ioredis, yet taken by the connections made to the seed.
    const seed = { host: '127.0.0.1', port: 1, keyPrefix: 'a:' };
    const cluster = new Cluster([seed], { lazyConnect: true });
    try {
      expect(() => validateRedis(cluster)).toThrow('redis.startupNodes[0].keyPrefix');
    } finally {
      cluster.disconnect();
    }
    expect(validateRedis({ cluster: ['redis://h:7000', { port: 7001 }] }).commandTimeout).toBe(500);
  });
});
