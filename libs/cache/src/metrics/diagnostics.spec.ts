import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { NamespaceCache } from '../namespace/namespace-cache';
import { namespaceSettings } from '../testing/namespace-fixtures';
import { MemoryTier } from '../tiers/memory.tier';
import { LOADER_CHANNEL, TIER_CHANNEL } from './diagnostics';

const settings = namespaceSettings({ name: 'traced', tiers: ['memory', 'redis'], maxEntries: 100 });

describe('diagnostics channels', () => {
  it('publish loader calls and shared-tier calls while someone listens, and nothing after', async () => {
    const cache = new NamespaceCache<string>(settings, {
      near: new MemoryTier({ maxEntries: 100 }),
      far: new MemoryTier({ maxEntries: 100 }),
    });
    const loaders: unknown[] = [];
    const tiers: unknown[] = [];
    const onLoader = (message: unknown): void => void loaders.push(message);
    const onTier = (message: unknown): void => void tiers.push(message);
    subscribe(LOADER_CHANNEL, onLoader);
    subscribe(TIER_CHANNEL, onTier);
    try {
      await cache.getOrSet('k', () => 'v');
      await expect(cache.getOrSet('bad', () => Promise.reject(new Error('boom')))).rejects.toThrow(
        'boom',
      );
    } finally {
      unsubscribe(LOADER_CHANNEL, onLoader);
      unsubscribe(TIER_CHANNEL, onTier);
    }
    expect(loaders).toEqual([
      expect.objectContaining({ namespace: 'traced', key: 'k', durationMs: expect.any(Number) }),
      expect.objectContaining({ namespace: 'traced', key: 'bad', error: expect.any(Error) }),
    ]);
    expect(tiers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          namespace: 'traced',
          tier: 'memory',
          operation: 'get',
          key: 'k',
        }),
      ]),
    );
    const before = loaders.length;
    await cache.getOrSet('later', () => 'v');
    expect(loaders).toHaveLength(before);
  });
});
