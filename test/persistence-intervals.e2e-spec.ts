import { PersistenceLevel, type Duration } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { PostgresDatabase } from './servers/postgres-database';

/**
 * The periodic work of the durable store runs on timers: an interval of `Infinity` runs none
 * (Node would run such a timer every millisecond), so PERIODIC entries wait for `flush()`.
 */
describe('persistence intervals', () => {
  let database: PostgresDatabase;
  let app: CacheApp | undefined;

  beforeEach(async () => {
    database = await PostgresDatabase.create();
  });
  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    app = undefined;
    await database.drop();
  });

  /** Fakes only the intervals, so the store and its driver keep real time. */
  const fakeIntervals = (): void => {
    jest.useFakeTimers({
      doNotFake: [
        'Date',
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
      ],
    });
  };

  const start = (flushInterval: Duration): Promise<CacheApp> =>
    startCacheApp({
      namespaces: [{ name: 'members', persistence: PersistenceLevel.PERIODIC }],
      persistence: { dataSource: { type: 'postgres', url: database.url }, flushInterval },
    });

  it.each<[string, Duration, number]>([
    ['Infinity: none', Infinity, 2],
    ['a day: after a day', '1d', 0],
  ])(
    'writes PERIODIC entries on a timer only when it has one (%s)',
    async (_label, flushInterval, waiting) => {
      fakeIntervals();
      app = await start(flushInterval);
      await app.ns('members').set('a', 1);
      await app.ns('members').set('b', 2);
      // A periodic flush run meanwhile would leave nothing for flush() to write.
      await jest.advanceTimersByTimeAsync(86_400_000);
      expect(await app.service.flush()).toBe(waiting);
      const rows = await database.query<{ key: string }>(
        'SELECT key FROM cache_storage ORDER BY key',
      );
      expect(rows.map((row) => row.key)).toEqual(['a', 'b']);
    },
  );
});
