import { NamespaceCache } from '../namespace/namespace-cache';
import { namespaceSettings } from '../testing/namespace-fixtures';
import type { CacheEntry } from '../tiers/cache-entry';
import type { LoadTicket, TicketedRead } from '../tiers/cache-tier.interface';
import { MemoryTier } from '../tiers/memory.tier';

/** A shared tier stand-in that issues tickets, numbered by read, and records what they guard. */
class TicketingTier extends MemoryTier {
  reads = 0;
  failReads = false;
  refuse = new Set<string>();
  readonly stored: Array<[string, number]> = [];

  constructor() {
    super({ maxEntries: 100 });
  }

  readManyForLoad(keys: readonly string[]): Promise<TicketedRead[]> {
    this.reads++;
    if (this.failReads) return Promise.reject(new Error('far down'));
    const ticket = { issuedAt: Date.now(), read: this.reads };
    return Promise.resolve(keys.map((key) => ({ entry: this.get(key), ticket })));
  }

  setUnlessChanged(key: string, entry: CacheEntry, ticket: LoadTicket): Promise<boolean> {
    this.stored.push([key, (ticket as LoadTicket & { read: number }).read]);
    if (this.refuse.has(key)) return Promise.resolve(false);
    this.set(key, entry);
    return Promise.resolve(true);
  }
}

describe('getOrSetMany over a tier that issues load tickets', () => {
  let far: TicketingTier;
  let cache: NamespaceCache<string>;
  const upper = async (keys: string[]): Promise<Map<string, string>> =>
    new Map(keys.map((key) => [key, key.toUpperCase()]));

  beforeEach(() => {
    far = new TicketingTier();
    const near = new MemoryTier({ maxEntries: 100 });
    cache = new NamespaceCache<string>(namespaceSettings({ tiers: ['memory', 'redis'] }), {
      near,
      far,
    });
  });

  it('reads what memory lacks in one ticketed read, and stores each load with its ticket', async () => {
    await cache.set('held', 'held');
    const spy = jest.spyOn(far, 'getMany');
    expect(await cache.getOrSetMany(['held', 'a', 'b'], upper)).toEqual(['held', 'A', 'B']);
    expect(far.reads).toBe(1);
    expect(spy).not.toHaveBeenCalled();
    expect(far.stored).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('keeps a load its ticket refuses out of memory too, and still answers it', async () => {
    far.refuse.add('a');
    expect(await cache.getOrSetMany(['a', 'b'], upper)).toEqual(['A', 'B']);
    far.refuse.clear();
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, 'B']);
  });

  it('stores without tickets when the ticketed read failed, as getOrSet does', async () => {
    far.failReads = true;
    expect(await cache.getOrSetMany(['a'], upper)).toEqual(['A']);
    expect(far.stored).toEqual([]);
    expect(far.get('a')?.value).toBe('A');
    expect(cache.stats().errors).toBe(1);
  });
});
