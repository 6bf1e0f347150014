import { Redis } from 'ioredis';
import { defineScripts } from '../libs/cache/src/redis/redis-script-commands';
import { decodeEntry } from '../libs/cache/src/redis/redis-entry';
import { RedisTier } from '../libs/cache/src/redis/redis.tier';
import { entryOf } from '../libs/cache/src/tiers/tier.contract';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { loadManyAround as loadManyAroundOn, type Change } from './servers/loads-around';
import { RedisServer } from './servers/redis-server';

describe('getOrSetMany across two instances on one Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  let a: CacheApp;
  let b: CacheApp;
  let prefix = '';
  let run = 0;

  const optionsFor = (url: string): Parameters<typeof startCacheApp>[0] => ({
    prefix,
    redis: { url },
    namespaces: ['near', { name: 'far', tiers: ['redis' as const] }],
  });

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  beforeEach(async () => {
    prefix = `batch${++run}`;
    a = await startCacheApp(optionsFor(server.url));
    b = await startCacheApp(optionsFor(server.url));
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  /** What Redis itself holds under `key`: no instance's memory in the way. */
  async function inRedis(namespace: string, key: string): Promise<unknown> {
    const text = await redis.get(`{${prefix}:${namespace}}:v:${key}`);
    return text === null ? undefined : decodeEntry(text).value;
  }

  /** What an instance started now reads (its memory is empty, so it reads Redis). */
  async function freshRead(namespace: string, keys: string[]): Promise<unknown[]> {
    const fresh = await startCacheApp(optionsFor(server.url));
    try {
      return await fresh.ns(namespace).getMany(keys);
    } finally {
      await fresh.close();
    }
  }

  const loadManyAround = (namespace: string, keys: string[], meanwhile: Change) =>
    loadManyAroundOn({ a, b }, namespace, keys, meanwhile);

  describe.each(['near', 'far'])('a slow batch load on A (%s)', (namespace) => {
    it('stores its values when nothing changed meanwhile', async () => {
      await a.ns(namespace).set('held', 'held');
      expect(await loadManyAround(namespace, ['held', 'k', 'j'], async () => undefined)).toEqual([
        'held',
        'loaded',
        'loaded',
      ]);
      expect(await inRedis(namespace, 'k')).toBe('loaded');
      expect(await freshRead(namespace, ['k', 'j'])).toEqual(['loaded', 'loaded']);
    });

    it('reads what memory lacks in one round trip, tickets included', async () => {
      await redis.config('RESETSTAT');
      await a
        .ns(namespace)
        .getOrSetMany(['k', 'j', 'i'], async (missing) =>
          Object.fromEntries(missing.map((key) => [key, 'loaded'])),
        );
      expect(await redis.info('commandstats')).toMatch(/cmdstat_mget:calls=1,/);
    });

    it('does not undo a write made on B while it ran', async () => {
      const change: Change = (other, ns) => other.ns(ns).set('k', 'new');
      expect(await loadManyAround(namespace, ['k', 'j'], change)).toEqual(['loaded', 'loaded']);
      expect(await inRedis(namespace, 'k')).toBe('new');
      expect(await inRedis(namespace, 'j')).toBe('loaded');
      expect(await freshRead(namespace, ['k', 'j'])).toEqual(['new', 'loaded']);
      expect(await b.ns(namespace).get('k')).toBe('new');
    });

    it('does not undo a delete made on B while it ran, of a key that was missing', async () => {
      const change: Change = (other, ns) => other.ns(ns).delete('k');
      await loadManyAround(namespace, ['k', 'j'], change);
      expect(await redis.exists(`{${prefix}:${namespace}}:v:k`)).toBe(0);
      expect(await inRedis(namespace, 'j')).toBe('loaded');
      expect(await freshRead(namespace, ['k', 'j'])).toEqual([undefined, 'loaded']);
    });

    it.each<[string, Change]>([
      ['invalidateTags', (other, ns) => other.ns(ns).invalidateTags(['t'])],
      ['invalidatePattern', (other, ns) => other.ns(ns).invalidatePattern('k*')],
      ['clear', (other, ns) => other.ns(ns).clear()],
    ])('does not undo %s made on B while it ran', async (_name, change) => {
      await loadManyAround(namespace, ['k', 'j'], change);
      expect(await inRedis(namespace, 'k')).toBeUndefined();
      expect(await freshRead(namespace, ['k'])).toEqual([undefined]);
    });
  });

  describe('RedisTier.readManyForLoad', () => {
    const tierFor = (namespace: string): RedisTier =>
      new RedisTier(defineScripts(redis), prefix, namespace);

    it('reads every key and the write counter in one MGET, in order', async () => {
      const tier = tierFor('reads');
      await tier.set('a', entryOf('A'));
      await tier.set('c', entryOf('C'));
      const mget = jest.spyOn(redis, 'mget');
      try {
        const reads = await tier.readManyForLoad(['a', 'b', 'c']);
        expect(reads.map((read) => read.entry?.value)).toEqual(['A', undefined, 'C']);
        expect(reads.every((read) => read.ticket !== undefined)).toBe(true);
        expect(mget).toHaveBeenCalledTimes(1);
        expect(await tier.readManyForLoad([])).toEqual([]);
        expect(mget).toHaveBeenCalledTimes(1);
      } finally {
        mget.mockRestore();
      }
    });

    it('issues tickets that store what nobody changed and refuse what someone did', async () => {
      const tier = tierFor('tickets');
      await tier.set('written', entryOf('old'));
      await tier.set('kept', entryOf('old'));
      const reads = await tier.readManyForLoad(['written', 'deleted', 'kept', 'missing']);
      const [written, deleted, kept, missing] = reads.map((read) => read.ticket);
      await tier.set('written', entryOf('new'));
      await tier.delete(['deleted']);
      // A delete of one key moves the namespace's counter; the others' tickets stay good.
      expect(await tier.setUnlessChanged('kept', entryOf('loaded'), kept)).toBe(true);
      expect(await tier.setUnlessChanged('missing', entryOf('loaded'), missing)).toBe(true);
      expect(await tier.setUnlessChanged('written', entryOf('loaded'), written)).toBe(false);
      expect(await tier.setUnlessChanged('deleted', entryOf('loaded'), deleted)).toBe(false);
      expect(
        (await tier.getMany(['written', 'deleted', 'kept', 'missing'])).map((e) => e?.value),
      ).toEqual(['new', undefined, 'loaded', 'loaded']);
    });
  });
});
