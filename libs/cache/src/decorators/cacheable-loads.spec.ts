import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { CacheService } from '../cache.service';
import { decoratedModule } from '../testing/decorated-module';
import { Cacheable } from './cacheable.decorator';
import { methodCacheLogger } from './method-cache';

/** A method whose result the cache refuses (undefined inside an array), held on a gate. */
@Injectable()
class Prices {
  runs = 0;
  version = 1;
  private release?: () => void;
  private gate?: Promise<void>;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
  }

  @Cacheable({ namespace: 'prices', key: () => 'prices' })
  async list(): Promise<{ version: number; rows: Array<number | undefined> }> {
    this.runs++;
    const version = this.version;
    await this.gate;
    return { version, rows: [version, undefined] };
  }

  @Cacheable({ namespace: 'prices', key: () => 'slow', hardTimeout: 50 })
  async slow(): Promise<{ rows: Array<number | undefined> }> {
    this.runs++;
    await this.gate;
    return { rows: [this.runs, undefined] };
  }

  /** The first call never settles (a hung upstream, no hardTimeout); later ones answer at once. */
  @Cacheable({ namespace: 'prices', key: () => 'hang' })
  async hang(stuck: boolean): Promise<{ rows: Array<number | undefined> }> {
    this.runs++;
    if (stuck) await new Promise(() => undefined);
    return { rows: [this.runs, undefined] };
  }

  /** Different arguments, one key (the README's `key` option): e.g. a per-tenant id dropped. */
  @Cacheable({ namespace: 'prices', key: () => 'by-currency' })
  async byCurrency(
    currency: string,
  ): Promise<{ currency: string; rows: Array<number | undefined> }> {
    this.runs++;
    await this.gate;
    return { currency, rows: [1, undefined] };
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('@Cacheable joined calls when the cache refuses the result', () => {
  let moduleRef: TestingModule;
  let prices: Prices;
  let cache: CacheService;

  beforeEach(async () => {
    moduleRef = await decoratedModule(['prices'], Prices);
    prices = moduleRef.get(Prices);
    cache = moduleRef.get(CacheService);
    jest.spyOn(methodCacheLogger, 'warn').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await moduleRef.close();
  });

  it('a call made after its key was deleted gets its own run, not the superseded older one', async () => {
    prices.hold();
    const before = prices.list();
    await tick();
    // The data changes and the key is invalidated while the first load runs: getOrSet
    // supersedes that load, so the next call starts a load of its own (SingleFlight:
    // "later callers start afresh instead of joining it").
    prices.version = 2;
    await cache.namespace('prices').delete('prices');
    const after = prices.list();
    await tick();
    prices.open();
    expect((await before).version).toBe(1);
    expect(prices.runs).toBe(2); // the method did run again for the second call...
    expect((await after).version).toBe(2); // ...and the call is answered with that run
  });

  it('a call with other arguments that did not join the load is not answered by it', async () => {
    prices.hold();
    const eur = prices.byCurrency('EUR');
    await tick();
    await cache.namespace('prices').delete('by-currency');
    const usd = prices.byCurrency('USD');
    await tick();
    prices.open();
    expect((await eur).currency).toBe('EUR');
    expect(prices.runs).toBe(2);
    expect((await usd).currency).toBe('USD');
  });

  it("a call that joins a load still running past its first caller's hardTimeout runs the method once", async () => {
    prices.hold();
    const first = prices.slow();
    await expect(first).rejects.toMatchObject({ code: 'E_CACHE_LOADER_TIMEOUT' });
    // The load goes on (getOrSet's flight); this call joins it, as getOrSet says.
    const second = prices.slow();
    await tick();
    expect(prices.runs).toBe(1); // joined: the method did not run for it
    prices.open();
    await second;
    expect(prices.runs).toBe(1);
  });

  it('a call whose own run finished is not left waiting on a hung, superseded call', async () => {
    void prices.hang(true);
    await tick();
    await cache.namespace('prices').delete('hang');
    const later = prices.hang(false);
    const outcome = await Promise.race([
      later.then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 500 ms'), 500)),
    ]);
    expect(prices.runs).toBe(2); // its own run ended at once...
    expect(outcome).toBe('answered'); // ...and answers it, whatever the hung one does
  });
});
