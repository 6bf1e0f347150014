import type { CacheModuleOptions, NamespaceCache } from 'nest-tiered-cache';
import { deferred } from '../libs/cache/src/testing/namespace-fixtures';
import { advanceDate } from './servers/advance-date';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { RedisServer } from './servers/redis-server';

/** Each removal of a key set with itself as its tag. */
const REMOVALS: Array<[string, (ns: NamespaceCache, key: string) => Promise<unknown>]> = [
  ['delete', (ns, key) => ns.delete(key)],
  ['invalidateTags', (ns, key) => ns.invalidateTags([key])],
  ['invalidatePattern', (ns, key) => ns.invalidatePattern(`${key}*`)],
  ['clear', (ns) => ns.clear()],
];

/*
 * A getOrSet whose loader fails serves the stale value (within grace) it began with, unless that
 * value was removed while the loader ran, on this instance or another: a removal leaves getOrSet
 * nothing to fall back on, even one already in flight.
 */
describe('grace while a removal comes during the load, two instances on one Redis', () => {
  let server: RedisServer;
  let a: CacheApp;
  let b: CacheApp;
  let run = 0;
  let key = '';

  beforeAll(async () => {
    server = await RedisServer.start();
    const options: CacheModuleOptions = {
      redis: { url: server.url },
      namespaces: [
        { name: 'near', ttl: 1000, grace: '1h' },
        { name: 'far', ttl: 1000, grace: '1h', tiers: ['redis'] },
      ],
    };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await server.stop();
  });
  beforeEach(() => {
    key = `k${++run}`;
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /**
   * A getOrSet on A of a key past its TTL whose loader fails once `meanwhile` is done. Both
   * instances held the key before it went stale.
   */
  const failingLoadAround = async (
    namespace: string,
    meanwhile: () => Promise<unknown>,
  ): Promise<unknown> => {
    await a.ns(namespace).set(key, 'old', { tags: [key] });
    await b.ns(namespace).get(key);
    advanceDate(2000);
    const called = deferred<void>();
    const failure = deferred<string>();
    const load = a.ns<string>(namespace).getOrSet(key, () => {
      called.resolve();
      return failure.promise;
    });
    await called.promise;
    await meanwhile();
    failure.reject(new Error('source down'));
    return load;
  };

  // A hard timeout serves the stale value too; the instances a removal reaches drop it: this
  // one always, another when its memory held the key (the bus tells it so).
  it.each([
    ['near', 'A', () => a],
    ['near', 'B', () => b],
    ['far', 'A', () => a],
  ])('%s: a hard timeout does not serve what a delete on %s removed', async (namespace, _, app) => {
    await a.ns(namespace).set(key, 'old');
    await b.ns(namespace).get(key);
    advanceDate(2000);
    const called = deferred<void>();
    const never = deferred<string>();
    const load = a.ns<string>(namespace).getOrSet(
      key,
      () => {
        called.resolve();
        return never.promise;
      },
      { hardTimeout: 500 },
    );
    await called.promise;
    await app().ns(namespace).delete(key);
    await expect(load).rejects.toMatchObject({ code: 'E_CACHE_LOADER_TIMEOUT' });
    never.resolve('late');
  });

  describe.each(['near', 'far'])('namespace %s', (namespace) => {
    it('serves the stale value when nothing removed it', async () => {
      expect(await failingLoadAround(namespace, async () => undefined)).toBe('old');
    });

    describe.each([
      ['A', () => a],
      ['B', () => b],
    ])('on %s', (_name, app) => {
      it.each(REMOVALS)('does not serve what a %s removed during the load', async (_, remove) => {
        const load = failingLoadAround(namespace, () => remove(app().ns(namespace), key));
        await expect(load).rejects.toThrow('source down');
      });

      it('serves what a write made during the load, not the stale value', async () => {
        const load = failingLoadAround(namespace, () => app().ns(namespace).set(key, 'new'));
        expect(await load).toBe('new');
      });
    });
  });
});
