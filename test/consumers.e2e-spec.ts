import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConsumerProcess,
  consumerNames,
  installConsumer,
  packForConsumers,
  run,
} from '../scripts/consumers';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/**
 * The package as users get it: packed once, installed into each consumer app (consumers/) in a
 * clean directory outside the workspace, compiled by the app's own TypeScript (strict,
 * skipLibCheck false), booted against a throwaway Redis and PostgreSQL, and driven over HTTP.
 */
jest.setTimeout(600_000);

/** What each consumer app proves beyond the common checks. */
const FEATURES: Record<string, { redis: boolean; postgres: boolean; observability: boolean }> = {
  'memory-only': { redis: false, postgres: false, observability: false },
  'nest11-cjs-express-typeorm03': { redis: true, postgres: true, observability: true },
  'nest12-esm-express-typeorm1': { redis: true, postgres: true, observability: true },
  'nest12-esm-fastify-ioredis6': { redis: true, postgres: false, observability: true },
};

const OPTIONAL_PEERS = ['ioredis', 'typeorm', 'pg', 'sql.js', 'prom-client', '@nestjs/terminus'];

describe('consumer apps', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'nest-tiered-cache-consumers-'));
  const installed = new Map<string, Promise<string>>();

  beforeAll(() => {
    expect(consumerNames()).toEqual(Object.keys(FEATURES).sort());
    const tarball = packForConsumers();
    // Installs run side by side (mostly network and disk); each test waits for its own.
    for (const name of consumerNames()) {
      const install = installConsumer(name, tarball, workDir);
      install.catch(() => undefined);
      installed.set(name, install);
    }
  });

  afterAll(async () => {
    await Promise.allSettled(installed.values());
    rmSync(workDir, { recursive: true, force: true });
  });

  it.each(Object.entries(FEATURES))('%s', async (name, features) => {
    const dir = await installed.get(name)!;

    // One copy of @nestjs/common, the app's; npm sees a valid tree (peers satisfied).
    expect(copiesOf(dir, '@nestjs/common')).toEqual([join(dir, 'node_modules/@nestjs/common')]);
    await run('npm', ['ls', '@nestjs/common', 'nest-tiered-cache'], dir);
    if (name === 'memory-only') {
      for (const peer of OPTIONAL_PEERS) expect(copiesOf(dir, peer)).toEqual([]);
      // An option whose optional peer is missing fails the start, naming the package.
      await expect(
        ConsumerProcess.start(dir, { REDIS_URL: 'redis://127.0.0.1:1' }),
      ).rejects.toThrow(/redis needs the package "ioredis"[\s\S]*E_CACHE_MISSING_PEER/);
      await expect(ConsumerProcess.start(dir, { PERSISTENCE: 'on_change' })).rejects.toThrow(
        /persistence needs the package "typeorm"[\s\S]*npm install typeorm/,
      );
    }

    const redis = features.redis ? await RedisServer.start() : undefined;
    const database = features.postgres ? await PostgresDatabase.create() : undefined;
    const env = {
      ...(redis && { REDIS_URL: redis.url }),
      ...(database && { DATABASE_URL: database.url }),
    };
    let app: ConsumerProcess | undefined;
    try {
      app = await ConsumerProcess.start(dir, env);
      // A CacheInterceptor route: MISS, then HIT with the same body.
      const first = await fetch(`${app.url}/pages/7`);
      const second = await fetch(`${app.url}/pages/7`);
      expect(first.headers.get('x-cache')).toBe('MISS');
      expect(second.headers.get('x-cache')).toBe('HIT');
      expect(await second.json()).toEqual(await first.json());

      // @Cacheable serves the second call from the cache; @CacheEvict drops it.
      expect(await json(app, 'GET', '/products/p1')).toEqual({ id: 'p1', load: 1 });
      expect(await json(app, 'GET', '/products/p1')).toEqual({ id: 'p1', load: 1 });
      expect(await json(app, 'POST', '/products/p1/rename')).toEqual({ renamed: 'p1' });
      expect(await json(app, 'GET', '/products/p1')).toEqual({ id: 'p1', load: 2 });

      // forFeature + @InjectCache.
      expect(await json(app, 'PUT', '/notes/n1', { text: 'kept' })).toEqual({ ok: true });
      expect(await json(app, 'GET', '/notes/n1')).toEqual({ text: 'kept' });

      if (features.observability) {
        const metrics = await (await fetch(`${app.url}/metrics`)).text();
        expect(metrics).toMatch(/^cache_\w+\{[^}]*namespace="notes"/m);
        const health = (await json(app, 'GET', '/health')) as { status: string; info: object };
        expect(health.status).toBe('ok');
        expect(health.info).toHaveProperty('cache.status', 'up');
      }

      const log = await app.stop();
      // Boots and stops with no warning or error line (Nest's or Node's).
      expect(log).not.toMatch(/\b(WARN|ERROR|FATAL)\b|Warning|Unhandled/);

      if (redis) {
        await redis.kill();
        await redis.restart();
      }
      app = await ConsumerProcess.start(dir, env);
      // ON_CHANGE reached PostgreSQL before `set` resolved: found again with Redis emptied.
      // Without PostgreSQL, a fresh process finds nothing (MEMORY_ONLY).
      expect(await json(app, 'GET', '/notes/n1')).toEqual({
        text: features.postgres ? 'kept' : null,
      });
    } finally {
      await app?.stop();
      await redis?.stop();
      await database?.drop();
    }
  });
});

async function json(
  app: ConsumerProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    ...(body !== undefined && {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    }),
  });
  expect(response.ok).toBe(true);
  return response.json();
}

/** Every installed copy of `name` under `dir`'s node_modules, however deeply nested. */
function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string): void => {
    if (!existsSync(modules)) return;
    const candidate = join(modules, name);
    if (existsSync(join(candidate, 'package.json'))) {
      const manifest = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as {
        name?: string;
      };
      if (manifest.name === name) found.push(candidate);
    }
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const packages = entry.startsWith('@')
        ? readdirSync(join(modules, entry)).map((scoped) => join(modules, entry, scoped))
        : [join(modules, entry)];
      for (const pkg of packages) walk(join(pkg, 'node_modules'));
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}
