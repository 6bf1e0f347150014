import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { freePort } from './servers/free-port';
import { RedisServer } from './servers/redis-server';

/** What the module logs about its connections: news once, with the address and the cause. */
describe('connection logs', () => {
  let logged: string[];

  beforeEach(() => {
    logged = [];
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((message: any, ..._rest: any[]) => {
        logged.push(`${level} ${String(message)}`);
      });
    }
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(`console.error ${args.map(String).join(' ')}`);
    });
  });

  afterEach(() => jest.restoreAllMocks());

  it('an unknown host: one warning naming the address and the cause, never an unhandled error event', async () => {
    const cache = await startCacheApp({
      prefix: 'logs',
      redis: { url: 'redis://no-such-host.invalid:6390' },
      namespaces: [{ name: 'a' }],
    });
    try {
      // Two more failed attempts of the client: the bus's subscriber failed meanwhile too.
      const client = (cache.service as any).backends.redis.client as NodeJS.EventEmitter;
      let errors = 0;
      client.on('error', () => (errors += 1));
      await eventually(() => expect(errors).toBeGreaterThanOrEqual(2));
      await cache.ns('a').get('k');
    } finally {
      await cache.close();
    }
    const unreachable = logged.filter((line) => line.includes('not reachable'));
    expect(unreachable).toEqual([
      expect.stringMatching(
        /^warn Redis is not reachable yet at no-such-host\.invalid:6390 \(.*(ENOTFOUND|EAI_AGAIN).*\); the cache runs degraded until it is$/,
      ),
    ]);
    expect(logged.join('\n')).not.toMatch(/Unhandled error event/);
  });

  it('a cluster seed given as a URL with a password: the warning names its host and port, never the password', async () => {
    const port = await freePort();
    const cache = await startCacheApp({
      prefix: 'logs',
      redis: { cluster: [`redis://:s3cret-pass@127.0.0.1:${port}`] },
      namespaces: [{ name: 'a', tiers: ['redis'] }],
    });
    await cache.close();
    const unreachable = logged.filter((line) => line.includes('not reachable'));
    expect(unreachable).toEqual([
      expect.stringContaining(`not reachable yet at cluster 127.0.0.1:${port} (`),
    ]);
    expect(logged.join('\n')).not.toContain('s3cret-pass');
  });

  it('an unknown host, in a process of its own: stderr never shows an unhandled error event', async () => {
    // ioredis prints "[ioredis] Unhandled error event" with console.error when an 'error' has no
    // listener; only a real process shows what reaches its stderr. The script adds no 'error'
    // listener of its own: it counts 'reconnecting', which follows each failed attempt.
    const script = `
      require('reflect-metadata');
      const { Module } = require('@nestjs/common');
      const { NestFactory } = require('@nestjs/core');
      const { CacheModule, CacheService } = require('nest-tiered-cache');
      class AppModule {}
      Module({ imports: [CacheModule.forRoot({
        prefix: 'logs', redis: { url: 'redis://no-such-host.invalid:6390' }, namespaces: [{ name: 'a' }],
      })] })(AppModule);
      (async () => {
        const app = await NestFactory.createApplicationContext(AppModule, { logger: ['warn', 'error'] });
        const service = app.get(CacheService);
        await new Promise((done) => {
          let attempts = 0;
          service.backends.redis.client.on('reconnecting', () => ++attempts === 3 && done());
        });
        await service.namespace('a').get('k');
        await app.close();
        console.log('closed');
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    const root = join(__dirname, '..');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', script],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1', TS_NODE_PROJECT: join(root, 'tsconfig.json') },
        timeout: 60_000,
      },
    );
    expect(stdout).toMatch(/Redis is not reachable yet at no-such-host\.invalid:6390 \(/);
    expect(stdout).toMatch(/closed\n$/);
    expect(stderr).not.toMatch(/Unhandled error event/);
    expect(stderr).toBe('');
  }, 90_000);

  it('connecting for the first time and closing gracefully log no bus news', async () => {
    const redis = await RedisServer.start();
    try {
      const cache = await startCacheApp({
        prefix: 'logs',
        redis: { url: redis.url },
        namespaces: [{ name: 'a' }],
      });
      await eventually(() =>
        expect(cache.service.info().backends.bus).toMatchObject({ connected: true }),
      );
      await cache.ns('a').set('k', 1);
      await cache.close();
    } finally {
      await redis.stop();
    }
    const text = logged.join('\n');
    expect(text).not.toMatch(/trusted again|disconnected|connection lost/);
    expect(logged.filter((line) => line.startsWith('warn') || line.startsWith('error'))).toEqual(
      [],
    );
  });

  it('a periodic flush logs nothing', async () => {
    const cache = await startCacheApp({
      prefix: 'logs',
      persistence: { dataSource: { type: 'sqljs' }, flushInterval: '1h' },
      namespaces: [{ name: 'p', persistence: PersistenceLevel.PERIODIC }],
    });
    try {
      await cache.ns('p').set('k', 1);
      const before = logged.length;
      await cache.service.flush();
      expect(logged.slice(before)).toEqual([]);
    } finally {
      await cache.close();
    }
  });
});
