import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cacheable, CacheModule, type CacheErrorEvent, CacheService } from 'nest-tiered-cache';
import { methodCacheLogger } from '../libs/cache/src/decorators/method-cache';
import { advanceDate } from './servers/advance-date';
import { startDatabaseProxy } from './servers/database-proxy';
import { PostgresDatabase } from './servers/postgres-database';
import type { TcpProxy } from './servers/tcp-proxy';

/** A report built by a slow upstream: each run is counted, and may be held until `open`. */
@Injectable()
class Reports {
  runs = 0;
  failing = false;
  private gate?: Promise<void>;
  private release?: () => void;
  private started?: () => void;
  /** Settles when a held run has started. */
  running?: Promise<void>;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
    this.running = new Promise((resolve) => (this.started = resolve));
  }

  open(): void {
    this.release?.();
  }

  @Cacheable({ namespace: 'reports', key: () => 'daily' })
  async daily(): Promise<{ run: number }> {
    const run = ++this.runs;
    this.started?.();
    await this.gate;
    if (this.failing) throw new Error(`upstream failed on run ${run}`);
    return { run };
  }
}

/*
 * In strict mode a fault of the table (`cache_storage`, the namespace's shared tier) fails the
 * load that concurrent calls of one key share. The decorated method still runs once for all of
 * them: they get that run's value, or all the same error.
 */
describe('@Cacheable calls sharing a load in strict mode, when PostgreSQL fails', () => {
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  let app: INestApplicationContext;
  let reports: Reports;
  let errors: CacheErrorEvent[];

  beforeEach(async () => {
    database = await PostgresDatabase.create();
    const through = await startDatabaseProxy(database);
    proxy = through.proxy;
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({
          strict: true,
          // A stale report is kept for a while: served only when the method fails or is slow.
          namespaces: [{ name: 'reports', tiers: ['memory', 'postgres'], ttl: '1m', grace: '1h' }],
          persistence: {
            dataSource: { type: 'postgres', url: through.url, connectTimeoutMS: 500 },
          },
        }),
      ],
      providers: [Reports],
    }).compile();
    app = await moduleRef.init();
    reports = app.get(Reports);
    errors = [];
    app
      .get(CacheService)
      .namespace('reports')
      .on('error', (event) => errors.push(event));
    jest.spyOn(methodCacheLogger, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.useRealTimers();
    jest.restoreAllMocks();
    await app.close();
    await proxy.cut();
    await database.drop();
  });

  const operations = (): string[] => errors.map(({ operation }) => operation);

  it('a store that fails after the one run: every call gets that run', async () => {
    reports.hold();
    const calls = [reports.daily(), reports.daily(), reports.daily()];
    await reports.running;
    await proxy.cut();
    reports.open();
    const answers = await Promise.all(calls);
    expect(answers).toEqual([{ run: 1 }, { run: 1 }, { run: 1 }]);
    // One value, the frozen copy the load made, as from any load.
    expect(new Set(answers).size).toBe(1);
    expect(Object.isFrozen(answers[0])).toBe(true);
    expect(reports.runs).toBe(1);
    // The store of the load failed, after the method's one run.
    expect(operations()).toEqual(['set']);
  });

  it('a read that fails before any run: the calls share one run of their own', async () => {
    await proxy.cut();
    const answers = await Promise.all([reports.daily(), reports.daily(), reports.daily()]);
    expect(answers).toEqual([{ run: 1 }, { run: 1 }, { run: 1 }]);
    expect(new Set(answers).size).toBe(1);
    expect(reports.runs).toBe(1);
    // The read of the load failed, before any run; nothing was stored.
    expect(operations()).toEqual(['get']);
  });

  it('a read that fails before any run: a failing method fails every call with its one error', async () => {
    await proxy.cut();
    reports.failing = true;
    const outcomes = await Promise.allSettled([reports.daily(), reports.daily(), reports.daily()]);
    const reasons = outcomes.map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as Error) : undefined,
    );
    expect(reasons.map((reason) => reason?.message)).toEqual(
      Array(3).fill('upstream failed on run 1'),
    );
    expect(new Set(reasons).size).toBe(1);
    expect(reports.runs).toBe(1);
  });

  it('a store that fails after the one run, with a stale report kept: every call gets that run, not the stale report', async () => {
    expect(await reports.daily()).toEqual({ run: 1 });
    advanceDate(2 * 60_000);
    reports.hold();
    const calls = [reports.daily(), reports.daily(), reports.daily()];
    await reports.running;
    await proxy.cut();
    reports.open();
    expect(await Promise.all(calls)).toEqual([{ run: 2 }, { run: 2 }, { run: 2 }]);
    expect(reports.runs).toBe(2);
    expect(operations()).toEqual(['set']);
  });

  it('getOrSet whose store fails after its loader ran fails, as without a stale value, and serves no stale one', async () => {
    const cache = app.get(CacheService).namespace('reports');
    await cache.set('weekly', 'old');
    advanceDate(2 * 60_000);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const loading = cache.getOrSet('weekly', async () => {
      started();
      await held;
      return 'new';
    });
    await running;
    await proxy.cut();
    release();
    await expect(loading).rejects.toMatchObject({ code: 'E_CACHE_UNAVAILABLE' });
    expect(cache.stats().staleServes).toBe(0);
  });
});
