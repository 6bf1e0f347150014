import { UnavailableError } from '../errors/fault';
import { NamespaceCache } from '../namespace/namespace-cache';
import { namespaceSettings } from '../testing/namespace-fixtures';
import { MemoryTier } from '../tiers/memory.tier';

/**
 * Strict mode throws when the shared tier fails, but the change may have landed there all the
 * same: memory must not keep the value it had before.
 */
describe('a strict namespace whose shared tier fails mid-change', () => {
  function strictCache(): { cache: NamespaceCache<number>; near: MemoryTier; far: MemoryTier } {
    const near = new MemoryTier({ maxEntries: 100 });
    const far = new MemoryTier({ maxEntries: 100 });
    const cache = new NamespaceCache<number>(namespaceSettings({ name: 'strict' }), {
      near,
      far,
      strict: true,
    });
    return { cache, near, far };
  }
  const lost = (): never => {
    throw new Error('connection lost');
  };

  it('drops the key from memory after a failed increment', async () => {
    const { cache, near, far } = strictCache();
    await cache.set('n', 1);
    expect(near.holds('n')).toBe(true);
    far.increment = lost;
    await expect(cache.increment('n', 1)).rejects.toBeInstanceOf(UnavailableError);
    expect(near.holds('n')).toBe(false);
  });

  it('drops the key from memory after a failed delete, even one a read put back meanwhile', async () => {
    const { cache, near, far } = strictCache();
    await cache.set('k', 1);
    far.delete = (keys) => {
      // A read that began before the delete puts the old value back in memory meanwhile.
      near.set('k', far.get('k') as NonNullable<ReturnType<MemoryTier['get']>>);
      void keys;
      return lost();
    };
    await expect(cache.delete('k')).rejects.toBeInstanceOf(UnavailableError);
    expect(near.holds('k')).toBe(false);
  });
});
