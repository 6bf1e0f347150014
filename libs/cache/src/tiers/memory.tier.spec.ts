import { PersistenceLevel } from '../options/persistence-level';
import { ValueTooLargeError } from '../errors';
import type { RemovalReason } from './cache-tier.interface';
import { MemoryTier } from './memory.tier';
import { describeTierContract, entryOf } from './tier.contract';

describe('MemoryTier', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describeTierContract('memory', {
    create: () => new MemoryTier({ maxEntries: 100 }),
    advance: (ms) => {
      jest.advanceTimersByTime(ms);
    },
  });

  it('evicts the least recently used entry and says so', () => {
    const removed: Array<[string, RemovalReason]> = [];
    const tier = new MemoryTier({
      maxEntries: 2,
      onRemoved: (key, reason) => removed.push([key, reason]),
    });
    tier.set('a', entryOf(1, { tags: ['t'], indexes: { i: 'v' } }));
    tier.set('b', entryOf(2));
    tier.get('a');
    tier.set('c', entryOf(3));
    expect(tier.get('b')).toBeUndefined();
    expect(tier.get('a')?.value).toBe(1);
    expect(removed).toEqual([['b', 'evict']]);
    tier.set('d', entryOf(4));
    tier.set('e', entryOf(5));
    expect(tier.keysByIndex('i', 'v')).toEqual([]);
    expect(tier.deleteByTags(['t']).held).toEqual([]);
  });

  it('forgets the tags of an evicted entry, so a later entry under its key keeps its own', () => {
    const tier = new MemoryTier({ maxEntries: 1 });
    tier.set('a', entryOf(1, { tags: ['old'], indexes: { i: 'x' } }));
    tier.set('b', entryOf(2));
    tier.set('a', entryOf(3));
    expect(tier.deleteByTags(['old']).held).toEqual([]);
    expect(tier.keysByIndex('i', 'x')).toEqual([]);
    expect(tier.get('a')?.value).toBe(3);
  });

  it('reports an expired entry found on access as an expiration, once', () => {
    const removed: Array<[string, RemovalReason]> = [];
    const tier = new MemoryTier({
      maxEntries: 10,
      onRemoved: (key, reason) => removed.push([key, reason]),
    });
    tier.set('a', entryOf(1, { expiresAt: Date.now() + 10 }));
    jest.advanceTimersByTime(11);
    expect(tier.get('a')).toBeUndefined();
    expect(tier.get('a')).toBeUndefined();
    expect(removed).toEqual([['a', 'expire']]);
  });

  it('calls an evicted entry that had already expired an expiration', () => {
    const removed: Array<[string, RemovalReason]> = [];
    const tier = new MemoryTier({
      maxEntries: 1,
      onRemoved: (key, reason) => removed.push([key, reason]),
    });
    tier.set('a', entryOf(1, { expiresAt: Date.now() + 10 }));
    jest.advanceTimersByTime(11);
    tier.set('b', entryOf(2));
    expect(removed).toEqual([['a', 'expire']]);
  });

  it('is bounded by bytes', () => {
    const tier = new MemoryTier({ maxBytes: 100 });
    for (let i = 0; i < 20; i++) tier.set(`k${i}`, entryOf('x'.repeat(20)));
    const usage = tier.usage();
    expect(usage.bytes).toBeLessThanOrEqual(100);
    expect(usage.entries).toBeLessThan(20);
    expect(tier.get('k19')?.value).toBe('x'.repeat(20));
  });

  it('refuses an entry larger than the whole byte budget and keeps the old one', () => {
    const tier = new MemoryTier({ maxBytes: 50 });
    tier.set('k', entryOf('small'));
    expect(() => tier.set('k', entryOf('x'.repeat(100)))).toThrow(ValueTooLargeError);
    expect(tier.get('k')?.value).toBe('small');
  });

  it('keeps byte and persistence counts in step with overwrites and deletes', () => {
    const tier = new MemoryTier({ maxEntries: 10 });
    tier.set('a', entryOf('x', { persistence: PersistenceLevel.PERIODIC }));
    tier.set('a', entryOf('xyz', { persistence: PersistenceLevel.PERIODIC }));
    tier.set('b', entryOf('y'));
    expect(tier.usage()).toEqual({ entries: 2, bytes: 1 + 5 + 1 + 3, persistent: 1 });
    tier.delete(['a', 'b']);
    expect(tier.usage()).toEqual({ entries: 0, bytes: 0, persistent: 0 });
  });

  it('counts an entry set again under its own key once, and forgets its tags once', () => {
    const tier = new MemoryTier({ maxEntries: 10 });
    const entry = entryOf('x', { persistence: PersistenceLevel.PERIODIC, tags: ['t'] });
    tier.set('a', entry);
    tier.set('a', entry);
    expect(tier.usage()).toEqual({ entries: 1, bytes: 1 + 3, persistent: 1 });
    expect(tier.deleteByTags(['t']).held).toEqual(['a']);
    expect(tier.usage()).toEqual({ entries: 0, bytes: 0, persistent: 0 });
  });

  it('needs a bound', () => {
    expect(() => new MemoryTier({})).toThrow(/maxEntries or maxBytes/);
  });
});
