import { Redis } from 'ioredis';
import type { CacheErrorEvent } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';
import { TcpProxy } from './servers/tcp-proxy';

/**
 * Every public call gets one budget of `commandTimeout` for all its Redis work, and closing
 * gives up after one `commandTimeout`. Each test's jest timeout sits just above the bound the
 * README states (plus `SLACK` for a loaded machine): a call that took two timeouts, as each
 * Redis call used to get its own, fails by that timeout. Outcomes are asserted, never durations.
 */
const TIMEOUT = 1000;
/** Room for a busy machine; well under the one timeout a second Redis call used to add. */
const SLACK = 500;

describe('Redis deadlines', () => {
  let server: RedisServer;
  let proxy: TcpProxy;
  let app: CacheApp;
  let errors: CacheErrorEvent[];
  let closed: boolean;

  beforeEach(async () => {
    server = await RedisServer.start();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port });
    app = await startCacheApp({
      redis: {
        url: `redis://127.0.0.1:${proxy.port}`,
        commandTimeout: TIMEOUT,
        failureThreshold: 100,
      },
      namespaces: [
        { name: 'remote', tiers: ['redis'] },
        { name: 'both', tiers: ['memory', 'redis'] },
        { name: 'spare', tiers: ['redis'] },
      ],
    });
    errors = [];
    closed = false;
    app.ns('remote').on('error', (event) => errors.push(event));
  });
  afterEach(async () => {
    server.resume();
    proxy.delay = 0;
    if (!closed) await app.close();
    await proxy.cut();
    await server.stop();
  });

  const codes = (): string[] => errors.map(({ error }) => (error as { code?: string }).code ?? '');

  it(
    'a getOrSet miss on a frozen Redis: read and write share one timeout',
    async () => {
      server.pause();
      expect(await app.ns('remote').getOrSet('k', () => 'loaded')).toBe('loaded');
      expect(codes()).toEqual(['E_CACHE_TIMEOUT', 'E_CACHE_TIMEOUT']);
      expect(errors.map(({ operation }) => operation)).toEqual(['get', 'set']);
    },
    TIMEOUT + SLACK,
  );

  it(
    'a locked getOrSet miss on a frozen Redis: read, lock and write share one timeout',
    async () => {
      server.pause();
      const value = await app.ns('remote').getOrSet('k', () => 'loaded', { lock: { wait: 1000 } });
      expect(value).toBe('loaded');
      expect(codes().length).toBeGreaterThan(0);
      expect(codes().every((code) => code === 'E_CACHE_TIMEOUT')).toBe(true);
    },
    TIMEOUT + SLACK,
  );

  it(
    'a getOrSet miss on a slow Redis: the write gets what the read left',
    async () => {
      // Each command takes about 0.7 timeouts: the read answers, the write runs out of budget.
      proxy.delay = 350;
      expect(await app.ns('remote').getOrSet('k', () => 'loaded')).toBe('loaded');
      expect(errors).toMatchObject([{ operation: 'set' }]);
      expect(codes()).toEqual(['E_CACHE_TIMEOUT']);
    },
    TIMEOUT + SLACK,
  );

  it.each(['remote', 'both'])(
    "%s: a getOrSet miss with a hardTimeout on a frozen Redis returns the loader's value, as its timeout counts the loader, not the read",
    async (name) => {
      server.pause();
      const loader = jest.fn(() => 'loaded');
      expect(await app.ns(name).getOrSet('k', loader, { hardTimeout: 200 })).toBe('loaded');
      expect(loader).toHaveBeenCalledTimes(1);
    },
    TIMEOUT + SLACK,
  );

  it(
    'a lock waiter on a slow Redis waits `wait` plus at most one timeout',
    async () => {
      const admin = new Redis(server.port);
      await admin.set('{cache:remote}:l:k', 'held by another instance', 'PX', 60_000);
      await admin.quit();
      // Lock taken elsewhere: this call polls for the holder's value, each poll ~0.45 timeouts.
      proxy.delay = 220;
      const wait = 1000;
      const value = await app.ns('remote').getOrSet('k', () => 'loaded', { lock: { wait } });
      expect(value).toBe('loaded');
      expect(codes()).toContain('E_CACHE_TIMEOUT');
    },
    1000 + TIMEOUT + SLACK,
  );

  it(
    'increment on a frozen Redis fails within one timeout',
    async () => {
      server.pause();
      await expect(app.ns('remote').increment('n')).rejects.toMatchObject({
        code: 'E_CACHE_UNAVAILABLE',
      });
      expect(codes()).toEqual(['E_CACHE_TIMEOUT']);
    },
    TIMEOUT + SLACK,
  );

  it(
    'a single get on a frozen Redis answers a miss within one timeout',
    async () => {
      server.pause();
      expect(await app.ns('remote').get('k')).toBeUndefined();
      expect(codes()).toEqual(['E_CACHE_TIMEOUT']);
    },
    TIMEOUT + SLACK,
  );

  it(
    'clearAll on a frozen Redis clears its namespaces side by side, within one timeout for all',
    async () => {
      server.pause();
      expect(await app.service.clearAll()).toBe(0);
      expect(codes()).toEqual(['E_CACHE_TIMEOUT']);
      expect(errors.map(({ operation }) => operation)).toEqual(['clear']);
    },
    TIMEOUT + SLACK,
  );

  it(
    'app.close() on a frozen Redis gives up after one timeout and disconnects',
    async () => {
      await app.ns('remote').set('k', 'v');
      server.pause();
      // A write whose bus message is still on its way when closing starts.
      void app.ns('remote').set('k', 'w');
      await app.close();
      closed = true;
      // The socket is dropped (ioredis destroys it shortly after, as it never answers).
      await eventually(() => expect(app.service.info().backends.redis?.status).toBe('end'));
    },
    TIMEOUT + SLACK,
  );
});
