import type { CacheEntry } from '../tiers/cache-entry';
import { loadUnderLock, type LockOperations } from './locked-load';

/** A lock another instance holds (ours, given a `token`), whose value the second read finds. */
function heldLock(events: string[], token?: string): LockOperations {
  let polls = 0;
  return {
    acquire: async () => {
      events.push('acquire');
      return token;
    },
    release: async () => undefined,
    read: async () => {
      events.push('read');
      return ++polls < 2 ? undefined : ({ value: 'stored by the holder' } as CacheEntry);
    },
  };
}

describe('loadUnderLock', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("says when it starts waiting for another holder's value, before its first poll", async () => {
    const events: string[] = [];
    const value = loadUnderLock(
      heldLock(events),
      1000,
      async () => 'loaded here',
      () => events.push('waiting'),
    );
    await jest.advanceTimersByTimeAsync(100);
    expect(await value).toBe('stored by the holder');
    expect(events).toEqual(['acquire', 'waiting', 'read', 'read']);
  });

  it('neither waits nor says so when it takes the lock', async () => {
    const events: string[] = [];
    const load = async (): Promise<string> => {
      events.push('load');
      return 'loaded here';
    };
    const lock = { ...heldLock(events, 'token'), read: async () => undefined };
    expect(await loadUnderLock(lock, 1000, load, () => events.push('waiting'))).toBe('loaded here');
    expect(events).toEqual(['acquire', 'load']);
  });

  it('stops waiting when a poll finds the shared tier failing, and loads at once', async () => {
    const events: string[] = [];
    const lock = { ...heldLock(events), read: async () => (events.push('read'), null) };
    const value = loadUnderLock(lock, 60_000, async () => (events.push('load'), 'loaded here'));
    await jest.advanceTimersByTimeAsync(5);
    expect(await value).toBe('loaded here');
    expect(events).toEqual(['acquire', 'read', 'load']);
  });
});
