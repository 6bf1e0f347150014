import { deferred } from '../libs/cache/src/testing/namespace-fixtures';
import { advanceDate } from './servers/advance-date';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { loadAround as loadAroundOn, type Change } from './servers/loads-around';
import { RedisServer } from './servers/redis-server';

describe('loads, grace and refresh across two instances on one Redis', () => {
  let server: RedisServer;
  let a: CacheApp;
  let b: CacheApp;
  let run = 0;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    const options = {
      prefix: `loads${++run}`,
      redis: { url: server.url },
      namespaces: [
        'near',
        { name: 'far', tiers: ['redis' as const] },
        { name: 'graced', ttl: 100, grace: 60_000 },
        { name: 'gracedFar', ttl: 100, grace: 60_000, tiers: ['redis' as const] },
      ],
    };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    jest.useRealTimers();
    await a.close();
    await b.close();
  });

  const loadAround = (namespace: string, key: string, meanwhile: Change): Promise<string> =>
    loadAroundOn({ a, b }, namespace, key, meanwhile);

  describe.each(['near', 'far'])('a slow load on A (%s)', (namespace) => {
    it('stores its value when nothing changed meanwhile', async () => {
      expect(await loadAround(namespace, 'k', async () => undefined)).toBe('loaded');
      expect(await b.ns(namespace).get('k')).toBe('loaded');
      expect(await a.ns(namespace).get('k')).toBe('loaded');
    });

    it('does not undo a write made on B while it ran', async () => {
      expect(await loadAround(namespace, 'k', (other) => other.ns(namespace).set('k', 'new'))).toBe(
        'loaded',
      );
      expect(await b.ns(namespace).get('k')).toBe('new');
      await eventually(async () => expect(await a.ns(namespace).get('k')).toBe('new'));
    });

    it('does not undo a delete made on B while it ran, even of a key that was missing', async () => {
      await loadAround(namespace, 'k', (other) => other.ns(namespace).delete('k'));
      expect(await b.ns(namespace).get('k')).toBeUndefined();
      expect(await a.ns(namespace).get('k')).toBeUndefined();
    });

    it.each([
      ['invalidateTags', (other: CacheApp) => other.ns(namespace).invalidateTags(['t'])],
      ['invalidatePattern', (other: CacheApp) => other.ns(namespace).invalidatePattern('k*')],
      ['clear', (other: CacheApp) => other.ns(namespace).clear()],
      ['increment', (other: CacheApp) => other.ns(namespace).increment('k')],
    ])('does not undo %s made on B while it ran', async (_name, change) => {
      await loadAround(namespace, 'k', change);
      const seen = await b.ns(namespace).get('k');
      expect(seen).not.toBe('loaded');
      expect(await a.ns(namespace).get('k')).toBe(seen);
    });

    it('refreshes ahead of expiry', async () => {
      await a.ns(namespace).set('r', 'old', { ttl: 1000 });
      advanceDate(900);
      const called = deferred<void>();
      const value = await a.ns<string>(namespace).getOrSet(
        'r',
        () => {
          called.resolve();
          return 'fresh';
        },
        { refreshAhead: 0.5, ttl: 1000 },
      );
      expect(value).toBe('old');
      await called.promise;
      jest.useRealTimers();
      await eventually(async () => expect(await b.ns(namespace).get('r')).toBe('fresh'));
    });
  });

  describe('onInvalidate', () => {
    it('hears of a clear: each key memory held', async () => {
      const heard: string[] = [];
      a.ns('near').onInvalidate('*', (key) => heard.push(key));
      await a.ns('near').set('x', 1);
      await a.ns('near').set('y', 2);
      expect(await a.ns('near').clear()).toBe(2);
      expect(heard.sort()).toEqual(['x', 'y']);
    });

    it.each([
      ['delete', (other: CacheApp) => other.ns('near').delete('k')],
      ['invalidateTags', (other: CacheApp) => other.ns('near').invalidateTags(['t'])],
      ['invalidatePattern', (other: CacheApp) => other.ns('near').invalidatePattern('k')],
      ['clear', (other: CacheApp) => other.ns('near').clear()],
    ])("hears of another instance's %s of a key it held", async (_name, change) => {
      // Written by A, so A's memory holds it and no message of B's is on its way.
      await a.ns('near').set('k', 1, { tags: ['t'] });
      await a.ns('near').set('other', 2);
      const heard: string[] = [];
      a.ns('near').onInvalidate('k*', (key) => heard.push(key));
      await change(b);
      await eventually(() => expect(heard).toEqual(['k']));
    });
  });

  describe('stats of a namespace without memory', () => {
    it('reports what Redis holds once counted, and says so; never a false 0 before', async () => {
      await a.ns('far').setMany([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
      expect(a.ns('far').stats()).toMatchObject({ entriesSource: 'unknown' });
      await eventually(() =>
        expect(a.ns('far').stats()).toMatchObject({ entries: 3, entriesSource: 'shared' }),
      );
      expect(b.ns('near').stats().entriesSource).toBe('memory');
    });
  });

  describe.each(['graced', 'gracedFar'])(
    'an entry past its TTL, within grace (%s)',
    (namespace) => {
      it('counts from 0 again, is absent for setIfAbsent, and a locked getOrSet loads', async () => {
        const ns = a.ns(namespace);
        await ns.set('counter', 10);
        await ns.set('nx', 'old');
        await ns.set('locked', 'old');
        advanceDate(150);
        expect(await ns.get('nx')).toBeUndefined();
        expect(await ns.increment('counter')).toBe(1);
        expect(await ns.setIfAbsent('nx', 'new')).toBe(true);
        expect(await ns.get('nx')).toBe('new');
        const loader = jest.fn(() => 'loaded');
        expect(await ns.getOrSet('locked', loader, { lock: true })).toBe('loaded');
        expect(loader).toHaveBeenCalledTimes(1);
        expect(ns.stats().staleServes).toBe(0);
      });

      it('is still served by getOrSet when the loader fails', async () => {
        const ns = a.ns(namespace);
        await ns.set('k', 'stale');
        advanceDate(150);
        const failing = (): never => {
          throw new Error('source down');
        };
        expect(await ns.getOrSet('k', failing, { lock: true })).toBe('stale');
        expect(ns.stats().staleServes).toBe(1);
      });
    },
  );
});
