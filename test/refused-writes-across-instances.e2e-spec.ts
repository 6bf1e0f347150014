import { Redis } from 'ioredis';
import type { NamespaceCache } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { RedisServer } from './servers/redis-server';

/** Each write, made on A while Redis refuses writes; `key` is the key it writes. */
const WRITES: Array<[string, string, (ns: NamespaceCache) => Promise<unknown>]> = [
  ['set', 'k', (ns) => ns.set('k', 'new')],
  ['setMany', 'k', (ns) => ns.setMany([['k', 'new']])],
  ['getOrSet', 'loaded', (ns) => ns.getOrSet('loaded', () => 'new')],
  ['increment', 'counter', (ns) => ns.increment('counter')],
  ['setIfAbsent', 'absent', (ns) => ns.setIfAbsent('absent', 'new')],
];

/*
 * A write Redis refuses (here: full, with noeviction) while the circuit stays closed and the bus
 * up: memory is trusted then, so a value kept there alone would be served by this instance while
 * every other one reads what Redis holds, until it expired.
 */
describe('writes Redis refuses, two instances on one Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  let a: CacheApp;
  let b: CacheApp;
  let run = 0;

  beforeAll(async () => {
    server = await RedisServer.start(['--maxmemory-policy', 'noeviction']);
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await admin.quit();
    await server.stop();
  });

  beforeEach(async () => {
    const options = { prefix: `refused${++run}`, redis: { url: server.url }, namespaces: ['near'] };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    await admin.config('SET', 'maxmemory', '0');
    await a.close();
    await b.close();
  });

  it.each(WRITES)('%s: both instances then read what Redis holds', async (_, key, write) => {
    await a.ns('near').set('k', 'old');
    await b.ns('near').get('k');
    const errors: string[] = [];
    a.ns('near').on('error', ({ operation }) => errors.push(operation));
    await admin.config('SET', 'maxmemory', '1');
    await write(a.ns('near'));
    await admin.config('SET', 'maxmemory', '0');
    expect(errors).not.toEqual([]);
    expect(a.service.info().backends.redis).toMatchObject({
      circuit: 'closed',
      bus: { connected: true },
    });
    expect(await a.ns('near').get(key)).toEqual(await b.ns('near').get(key));
  });
});
