import { Redis } from 'ioredis';
import { CacheError, type CacheErrorEvent } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

describe('Redis failures', () => {
  let server: RedisServer;
  let app: CacheApp;

  beforeEach(async () => {
    server = await RedisServer.start();
    app = await startCacheApp({
      redis: { url: server.url, commandTimeout: '200ms', retryAfter: '100ms', failureThreshold: 2 },
      namespaces: ['both', { name: 'remote', tiers: ['redis'] }],
    });
  });
  afterEach(async () => {
    await app.close();
    await server.stop();
  });

  it('keeps answering while Redis is dead, counts the faults, and recovers on its own', async () => {
    const both = app.ns<string>('both');
    const remote = app.ns<string>('remote');
    const errors: CacheErrorEvent[] = [];
    remote.on('error', (event) => errors.push(event));
    await both.set('warm', 'in memory');
    await remote.set('r', 'in redis');

    await server.kill();
    const started = Date.now();
    expect(await remote.get('r')).toBeUndefined();
    expect(await both.get('warm')).toBe('in memory');
    expect(await remote.getOrSet('g', () => 'loaded')).toBe('loaded');
    await both.set('written', 'while down');
    expect(await both.get('written')).toBe('while down');
    await remote.set('lost', 'x');
    expect(await remote.delete('r')).toBe(false);
    await expect(remote.increment('counter')).rejects.toMatchObject({
      code: 'E_CACHE_UNAVAILABLE',
    });
    expect(await both.increment('counter')).toBe(1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(remote.stats().errors).toBeGreaterThanOrEqual(4);
    expect(errors[0]).toMatchObject({ namespace: 'remote', operation: 'get', key: 'r' });
    expect(app.service.info().backends.redis?.healthy).toBe(false);

    await server.restart();
    await eventually(() => expect(app.service.info().backends.redis?.healthy).toBe(true));
    await remote.set('r', 'back');
    expect(await remote.get('r')).toBe('back');
  });

  it('bounds every call by the timeout while Redis hangs, and recovers when it answers again', async () => {
    const remote = app.ns<string>('remote');
    await remote.set('k', 'v');
    server.pause();
    try {
      const started = Date.now();
      expect(await remote.get('k')).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1000);
      await remote.get('k');
      expect(app.service.info().backends.redis?.circuit).toBe('open');
    } finally {
      server.resume();
    }
    await eventually(async () => expect(await remote.get('k')).toBe('v'));
    expect(app.service.info().backends.redis?.circuit).toBe('closed');
  });

  it('does not open the circuit for errors Redis answers with', async () => {
    const remote = app.ns('remote');
    await remote.set('text', 'not a number');
    for (let i = 0; i < 4; i++) {
      await expect(remote.increment('text')).rejects.toMatchObject({ code: 'E_CACHE_WRONG_TYPE' });
    }
    expect(app.service.info().backends.redis?.circuit).toBe('closed');
    expect(remote.stats().errors).toBe(0);
  });

  it('stops calling a dead Redis once the circuit opens', async () => {
    const remote = app.ns<string>('remote');
    await server.kill();
    await remote.get('a');
    await remote.get('b');
    expect(app.service.info().backends.redis?.circuit).toBe('open');
    const started = Date.now();
    for (let i = 0; i < 100; i++) await remote.get(`k${i}`);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('throws instead of degrading in strict mode', async () => {
    const strict = await startCacheApp({
      prefix: 'strict',
      strict: true,
      redis: { url: server.url, commandTimeout: '200ms' },
      namespaces: ['s'],
    });
    await server.kill();
    const failure = strict.ns('s').get('k');
    await expect(failure).rejects.toBeInstanceOf(CacheError);
    await expect(strict.ns('s').set('k', 1)).rejects.toMatchObject({ code: 'E_CACHE_UNAVAILABLE' });
    await strict.close();
  });

  it('starts with Redis down and uses it once it is up', async () => {
    await server.kill();
    const late = await startCacheApp({
      prefix: 'late',
      redis: { url: server.url, commandTimeout: '200ms', retryAfter: '100ms' },
      namespaces: [{ name: 'r', tiers: ['redis'] }],
    });
    expect(await late.ns('r').get('k')).toBeUndefined();
    await server.restart();
    await eventually(async () => {
      await late.ns('r').set('k', 'v');
      expect(await late.ns('r').get('k')).toBe('v');
    });
    await late.close();
  }, 20_000);

  it('reads a value it cannot decode as a miss, counts it as an error and deletes it', async () => {
    const client = new Redis(server.url);
    await client.set('{cache:remote}:v:bad', 'garbage without structure');
    const errors: CacheErrorEvent[] = [];
    app.ns('remote').on('error', (event) => errors.push(event));
    expect(await app.ns('remote').get('bad')).toBeUndefined();
    expect(app.ns('remote').stats()).toMatchObject({ errors: 1, misses: 1 });
    expect(errors[0]).toMatchObject({ operation: 'decode', key: 'bad' });
    await eventually(async () => expect(await client.exists('{cache:remote}:v:bad')).toBe(0));
    await client.quit();
  });

  it('starts within its bound with an application-owned client while Redis is down', async () => {
    await server.kill();
    const client = new Redis(server.url, { lazyConnect: false });
    client.on('error', () => undefined);
    const started = Date.now();
    const owned = await startCacheApp({ prefix: 'down', redis: client, namespaces: ['o'] });
    expect(Date.now() - started).toBeLessThan(7000);
    expect(await owned.ns('o').get('k')).toBeUndefined();
    await owned.close();
    client.disconnect();
  }, 20_000);

  it('uses a client the application owns and leaves it open', async () => {
    const client = new Redis(server.url);
    const owned = await startCacheApp({ prefix: 'own', redis: client, namespaces: ['o'] });
    await owned.ns('o').set('k', 1);
    expect(await client.exists('{own:o}:v:k')).toBe(1);
    await owned.close();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});
