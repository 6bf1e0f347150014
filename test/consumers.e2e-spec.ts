import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConsumerProcess,
  consumerNames,
  installConsumer,
  NPM_ENV,
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

const ROOT = join(__dirname, '..');
const workDir = mkdtempSync(join(tmpdir(), 'nest-tiered-cache-consumers-'));
let tarball: string;

beforeAll(() => {
  tarball = packForConsumers();
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('consumer apps', () => {
  const installed = new Map<string, Promise<string>>();

  beforeAll(() => {
    expect(consumerNames()).toEqual(Object.keys(FEATURES).sort());
    // Installs run side by side (mostly network and disk); each test waits for its own.
    for (const name of consumerNames()) {
      const install = installConsumer(name, tarball, workDir);
      install.catch(() => undefined);
      installed.set(name, install);
    }
  });

  afterAll(async () => {
    await Promise.allSettled(installed.values());
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

/**
 * The README's Install section, run as a new user would: its steps for a new Nest 12 (ESM) or
 * Nest 11 (CommonJS) app in an empty directory, with whatever npm resolves today, the tarball
 * installed where the README says `npm install nest-tiered-cache` (as it says to until the
 * package is on the registry), its tsconfig.json and src/main.ts, then its checks.
 */
describe("the README's Install steps", () => {
  it.each([
    ['nest12', 'module', '12'],
    ['nest11', 'commonjs', '11'],
  ])('a new %s app made as written works', async (nest, type, major) => {
    const dir = mkdtempSync(join(workDir, `readme-${nest}-`));
    const install = readmeBlock(`install:${nest}`) + readmeBlock('install:package');
    const script = install.replace(/^npm install nest-tiered-cache$/m, `npm install ${tarball}`);
    expect(script).not.toBe(install);
    await run('bash', ['-euo', 'pipefail', '-c', script], dir, NPM_ENV);

    const app = join(dir, 'my-app');
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
      type?: string;
    };
    expect(manifest.type).toBe(type);
    const nestVersion = (
      JSON.parse(readFileSync(join(app, 'node_modules/@nestjs/common/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(nestVersion.split('.')[0]).toBe(major);
    expect(copiesOf(app, '@nestjs/common')).toEqual([join(app, 'node_modules/@nestjs/common')]);

    writeFileSync(join(app, 'tsconfig.json'), readmeBlock('install:tsconfig.json'));
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src/main.ts'), readmeBlock('install:src/main.ts'));
    // The README's "build and start": tsc here, then node through ConsumerProcess (on a free port).
    expect(readmeBlock('install:run')).toBe('npx tsc && node dist/main.js\n');
    await run('npx', ['--no-install', 'tsc'], app);
    const started = await ConsumerProcess.start(app, {});
    let log: string;
    try {
      const check = readmeBlock('install:check').replaceAll(
        'localhost:3000',
        new URL(started.url).host,
      );
      const output = await run('bash', ['-euo', 'pipefail', '-c', check], app);
      const [first, second, miss, hit, ...rest] = output
        .trim()
        .split('\n')
        .map((line) => line.trim());
      expect(first).toMatch(/^Hello ada, at \d{4}-\d\d-\d\dT/);
      expect(second).toBe(first);
      expect(miss).toMatch(/^x-cache: MISS$/i);
      expect(hit).toMatch(/^x-cache: HIT$/i);
      expect(rest).toEqual([]);
    } finally {
      log = await started.stop();
    }
    expect(log).not.toMatch(/\b(WARN|ERROR|FATAL)\b|Warning|Unhandled/);
  });
});

describe('the packed package', () => {
  it('holds the compiled library and its docs: no specs, contract suites or testing helpers', async () => {
    const files = (await run('tar', ['-tzf', tarball], workDir))
      .trim()
      .split('\n')
      .map((file) => file.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']));
    expect(files.filter((file) => !/^dist\/.+\.(js|d\.ts|js\.map)$/.test(file)).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    expect(files.filter((file) => /spec|contract|testing|fixture/i.test(file))).toEqual([]);
  });
});

/** The commands CI runs: the README's test command, as written. */
describe("the README's test command", () => {
  it('is the one .ci/run runs', () => {
    const block = /## Two commands\n[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme());
    const command = block?.[1]
      .split('\n')
      .map((line) => line.replace(/\s*#.*$/, ''))
      .find((line) => / npm test$/.test(line));
    expect(command).toBe('npm ci && npm test');
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ci).toContain(command);
    // Nothing else in CI installs the workspace or runs tests.
    expect(ci.filter((line) => /\bnpm (ci|test|install|run test)|\bjest\b/.test(line))).toEqual([
      command,
    ]);
  });
});

function readme(): string {
  return readFileSync(join(ROOT, 'README.md'), 'utf8');
}

/** The README's code block after `<!-- name -->`. */
function readmeBlock(name: string): string {
  const marker = `<!-- ${name} -->\n`;
  const at = readme().indexOf(marker);
  if (at < 0) throw new Error(`README.md has no block marked ${marker.trim()}`);
  const block = /^```\w*\n([\s\S]*?)^```$/m.exec(readme().slice(at + marker.length));
  if (!block) throw new Error(`README.md's ${marker.trim()} is not followed by a code block`);
  return block[1];
}

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
