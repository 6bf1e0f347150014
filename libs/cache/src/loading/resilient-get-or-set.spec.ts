import { runInNewContext } from 'node:vm';
import { NamespaceCache } from '../namespace/namespace-cache';
import { createNamespaceCache, deferred } from '../testing/namespace-fixtures';
import { LoaderTimeoutError } from './deadlines';

function createCache(twoTiers = false): NamespaceCache<string> {
  return createNamespaceCache<string>(
    {
      name: 'resilient',
      ttl: 10_000,
      tiers: twoTiers ? ['memory', 'redis'] : ['memory'],
      maxEntries: 100,
    },
    twoTiers,
  );
}

describe.each([
  ['memory', false],
  ['two tiers', true],
])('getOrSet resilience (%s)', (_label, twoTiers) => {
  let cache: NamespaceCache<string>;

  beforeEach(() => {
    jest.useFakeTimers();
    cache = createCache(twoTiers);
  });
  afterEach(() => jest.useRealTimers());

  describe('grace', () => {
    it('serves the stale value when the loader fails, only within the grace period', async () => {
      await cache.getOrSet('k', () => 'v1', { ttl: '1s', grace: '10s' });
      await jest.advanceTimersByTimeAsync(1500);
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.has('k')).toBe(false);
      const failing = (): Promise<string> => Promise.reject(new Error('db down'));
      expect(await cache.getOrSet('k', failing, { ttl: '1s', grace: '10s' })).toBe('v1');
      expect(cache.stats()).toMatchObject({ staleServes: 1, loaderFailures: 1, loaderCalls: 2 });
      await jest.advanceTimersByTimeAsync(10_000);
      await expect(cache.getOrSet('k', failing)).rejects.toThrow('db down');
    });

    it('does not serve a value whose grace period ended while its loader ran', async () => {
      await cache.getOrSet('k', () => 'v1', { ttl: '1s', grace: '2s' });
      await jest.advanceTimersByTimeAsync(1500);
      const failing = deferred<string>();
      const failed = cache.getOrSet('k', () => failing.promise, { grace: '2s' });
      await jest.advanceTimersByTimeAsync(2000);
      failing.reject(new Error('db down'));
      await expect(failed).rejects.toThrow('db down');
      await cache.getOrSet('j', () => 'v1', { ttl: '1s', grace: '2s' });
      await jest.advanceTimersByTimeAsync(1500);
      const slow = deferred<string>();
      const timedOut = cache.getOrSet('j', () => slow.promise, { hardTimeout: '3s' });
      const outcome = expect(timedOut).rejects.toBeInstanceOf(LoaderTimeoutError);
      await jest.advanceTimersByTimeAsync(3000);
      await outcome;
      expect(cache.stats().staleServes).toBe(0);
    });

    it('replaces the stale value when the loader succeeds', async () => {
      await cache.getOrSet('k', () => 'v1', { ttl: '1s', grace: '10s' });
      await jest.advanceTimersByTimeAsync(1500);
      expect(await cache.getOrSet('k', () => 'v2', { ttl: '1s', grace: '10s' })).toBe('v2');
      expect(await cache.get('k')).toBe('v2');
    });
  });

  describe('timeout (soft)', () => {
    it('serves the stale value when the loader is slow; the loader still stores its value', async () => {
      await cache.getOrSet('k', () => 'v1', { ttl: '1s', grace: '1m' });
      await jest.advanceTimersByTimeAsync(1500);
      const slow = deferred<string>();
      const call = cache.getOrSet('k', () => slow.promise, {
        ttl: '1s',
        grace: '1m',
        timeout: 100,
      });
      await jest.advanceTimersByTimeAsync(100);
      expect(await call).toBe('v1');
      slow.resolve('v2');
      await jest.advanceTimersByTimeAsync(0);
      expect(await cache.get('k')).toBe('v2');
      expect(cache.stats().staleServes).toBe(1);
    });

    it('waits for the loader when there is nothing stale to serve', async () => {
      const slow = deferred<string>();
      const call = cache.getOrSet('k', () => slow.promise, { timeout: 100 });
      await jest.advanceTimersByTimeAsync(500);
      slow.resolve('late');
      expect(await call).toBe('late');
    });
  });

  describe('hardTimeout', () => {
    it('fails without a stale value, and stores the value when it arrives', async () => {
      const slow = deferred<string>();
      const call = cache.getOrSet('k', () => slow.promise, { hardTimeout: 200 });
      const outcome = expect(call).rejects.toBeInstanceOf(LoaderTimeoutError);
      await jest.advanceTimersByTimeAsync(200);
      await outcome;
      await expect(call).rejects.toMatchObject({ code: 'E_CACHE_LOADER_TIMEOUT' });
      slow.resolve('eventually');
      await jest.advanceTimersByTimeAsync(0);
      expect(await cache.get('k')).toBe('eventually');
    });

    it('takes Infinity as no timeout, and refuses one longer than a timer can hold', async () => {
      const slow = deferred<string>();
      const call = cache.getOrSet('k', () => slow.promise, { hardTimeout: Infinity });
      let outcome: unknown = 'pending';
      call.then(
        (value) => (outcome = value),
        (error: unknown) => (outcome = error),
      );
      await jest.advanceTimersByTimeAsync(60_000);
      expect(outcome).toBe('pending');
      slow.resolve('loaded');
      expect(await call).toBe('loaded');
      for (const name of ['timeout', 'hardTimeout']) {
        await expect(cache.getOrSet('j', () => 'v', { [name]: '25d' })).rejects.toMatchObject({
          code: 'E_CACHE_INVALID_OPTION',
          message: expect.stringContaining(
            `options.${name}: "25d" is longer than the longest timer`,
          ),
        });
      }
      expect(cache.stats().loaderCalls).toBe(1);
    });

    it('serves the stale value when there is one', async () => {
      await cache.getOrSet('k', () => 'old', { ttl: '1s', grace: '1m' });
      await jest.advanceTimersByTimeAsync(1500);
      const call = cache.getOrSet('k', () => deferred<string>().promise, {
        hardTimeout: 50,
        grace: '1m',
      });
      await jest.advanceTimersByTimeAsync(50);
      expect(await call).toBe('old');
    });
  });

  describe('refreshAhead', () => {
    it('returns the current value and reloads it in the background once, near expiry', async () => {
      await cache.getOrSet('k', () => 'v1', { ttl: '10s' });
      const reload = deferred<string>();
      const loader = jest.fn(() => reload.promise);
      await jest.advanceTimersByTimeAsync(5000);
      expect(await cache.getOrSet('k', loader, { ttl: '10s', refreshAhead: 0.2 })).toBe('v1');
      expect(loader).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(3500);
      expect(await cache.getOrSet('k', loader, { ttl: '10s', refreshAhead: 0.2 })).toBe('v1');
      expect(await cache.getOrSet('k', loader, { ttl: '10s', refreshAhead: 0.2 })).toBe('v1');
      expect(loader).toHaveBeenCalledTimes(1);
      reload.resolve('v2');
      await jest.advanceTimersByTimeAsync(0);
      expect(await cache.get('k')).toBe('v2');
      expect(await cache.getTtl('k')).toBe(10_000);
    });

    it('rejects a share outside (0, 1)', async () => {
      await expect(cache.getOrSet('k', () => 'v', { refreshAhead: 1.5 })).rejects.toThrow(
        'options.refreshAhead: 1.5 is not a fraction between 0 and 1',
      );
    });
  });

  describe('getOrSetMany', () => {
    it('loads only the missing keys, in one batch, and stores them', async () => {
      await cache.set('a', 'A');
      const loadMissing = jest.fn(
        async (keys: string[]) => new Map(keys.map((key) => [key, key.toUpperCase()])),
      );
      expect(await cache.getOrSetMany(['a', 'b', 'c'], loadMissing)).toEqual(['A', 'B', 'C']);
      expect(loadMissing).toHaveBeenCalledTimes(1);
      expect(loadMissing).toHaveBeenCalledWith(['b', 'c']);
      expect(await cache.getMany(['b', 'c'])).toEqual(['B', 'C']);
    });

    it('gives back a held null as null, not as a missing key', async () => {
      const nullable = cache as unknown as NamespaceCache<string | null>;
      await nullable.set('none', null);
      const loadMissing = jest.fn(
        async (keys: string[]) => new Map(keys.map((key): [string, string | null] => [key, 'x'])),
      );
      expect(await nullable.getOrSetMany(['none', 'other'], loadMissing)).toEqual([null, 'x']);
      expect(loadMissing).toHaveBeenCalledWith(['other']);
    });

    it('accepts a record and leaves keys it does not return missing', async () => {
      expect(await cache.getOrSetMany(['x', 'y'], async () => ({ x: 'X' }))).toEqual([
        'X',
        undefined,
      ]);
      expect(await cache.has('y')).toBe(false);
    });

    it('refuses what a loader returns that is neither a Map nor a record, naming it, storing nothing', async () => {
      const returns = [
        ['X', 'Y'],
        'XY',
        42,
        Float64Array.from([1, 2]),
        Object('XY'),
        new Set(['x']),
      ];
      for (const returned of returns) {
        await expect(cache.getOrSetMany(['x', 'y'], async () => returned as never)).rejects.toThrow(
          /loadMissing returned .*, not a Map or a record of values by key/,
        );
      }
      expect(await cache.getMany(['x', 'y', '0', '1'])).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(await cache.getOrSetMany(['x'], async () => undefined as never)).toEqual([undefined]);
    });

    it('takes a record of any realm, with or without a prototype', async () => {
      const bare = Object.assign(Object.create(null) as Record<string, string>, { a: 'A' });
      expect(await cache.getOrSetMany(['a'], async () => bare)).toEqual(['A']);
      const foreign = runInNewContext('({ b: "B", c: "C" })') as Record<string, string>;
      expect(await cache.getOrSetMany(['b', 'c'], async () => foreign)).toEqual(['B', 'C']);
    });

    it('shares in-flight loads between overlapping callers', async () => {
      const first = deferred<Map<string, string>>();
      const loadA = jest.fn(() => first.promise);
      const loadB = jest.fn(
        async (keys: string[]) => new Map(keys.map((key) => [key, `b:${key}`])),
      );
      const callA = cache.getOrSetMany(['1', '2'], loadA);
      await jest.advanceTimersByTimeAsync(0);
      const callB = cache.getOrSetMany(['2', '3'], loadB);
      await jest.advanceTimersByTimeAsync(0);
      expect(loadB).toHaveBeenCalledWith(['3']);
      first.resolve(
        new Map([
          ['1', 'a:1'],
          ['2', 'a:2'],
        ]),
      );
      expect(await callA).toEqual(['a:1', 'a:2']);
      expect(await callB).toEqual(['a:2', 'b:3']);
      expect(loadA).toHaveBeenCalledTimes(1);
    });

    it('rejects every caller when the batch loader fails, caching nothing', async () => {
      await expect(
        cache.getOrSetMany(['p', 'q'], () => Promise.reject(new Error('batch failed'))),
      ).rejects.toThrow('batch failed');
      expect(await cache.getMany(['p', 'q'])).toEqual([undefined, undefined]);
      expect(cache.stats().loaderFailures).toBe(1);
    });
  });
});
