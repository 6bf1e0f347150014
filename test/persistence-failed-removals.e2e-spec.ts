import { Logger } from '@nestjs/common';
import { PersistenceLevel } from 'nest-tiered-cache';
import { entry, ProxiedPersistence, REMOVALS } from './servers/manual-persistence';

/**
 * A removal is final in the table: one that fails waits, and is retried before any later change
 * of its namespace reaches the table.
 */
describe('persistence keeps removed entries removed', () => {
  let store: ProxiedPersistence;

  beforeEach(async () => {
    store = await ProxiedPersistence.start();
  });
  afterEach(() => store.close());

  /** The removals that take every row of the namespace. */
  const wholesale = REMOVALS.filter(([, removal]) => !('keys' in removal || 'held' in removal));

  describe('a removal that fails', () => {
    it.each(REMOVALS)('is retried by the next flush (removal by %s)', async (_label, removal) => {
      await store.ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
      await store.cut();
      await store.ns.removed(removal);
      expect(store.faults).toEqual(['unpersist']);
      expect(store.manager.health().dirty).toBe(1);
      await store.restore();
      expect(await store.rows()).toEqual({ 'user:1': 0 });
      await store.manager.flush();
      expect(await store.rows()).toEqual({});
      expect(store.manager.health()).toMatchObject({ healthy: true, dirty: 0 });
    });

    it('waits as one removal however often it fails, and is applied once back', async () => {
      for (const key of ['user:1', 'user:2', 'other'])
        await store.ns.written(key, entry(0, PersistenceLevel.ON_CHANGE));
      await store.cut();
      // As invalidateTags without Redis: each names the keys memory held, tags in any order.
      for (let i = 0; i < 50; i++)
        await store.ns.removed({ tags: i % 2 ? ['t', 'u'] : ['u', 't'], held: [`held:${i}`] });
      await store.ns.removed({ glob: 'user:*', held: ['other'] });
      expect(store.manager.health().dirty).toBe(2);
      await store.restore();
      await store.manager.flush();
      expect(await store.rows()).toEqual({});
      expect(store.manager.health()).toMatchObject({ healthy: true, dirty: 0 });
    });

    it('is reported once by a failing flush, with the entries of both levels', async () => {
      await store.ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
      await store.cut();
      await store.ns.removed({ tags: ['t'] });
      await store.ns.written('user:2', entry(2, PersistenceLevel.PERIODIC));
      await store.ns.written('user:3', entry(3, PersistenceLevel.ON_SHUTDOWN));
      store.faults.length = 0;
      await expect(store.manager.flush()).rejects.toThrow();
      expect(store.faults).toEqual(['flush']);
      expect(store.manager.health().dirty).toBe(3);
      await store.restore();
      await store.manager.flush();
      expect(await store.rows()).toEqual({ 'user:2': 2, 'user:3': 3 });
    });

    it('is told, and logged, when the app closes before it could be retried', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        await store.ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
        await store.cut();
        await store.ns.removed({ tags: ['t'] });
        store.faults.length = 0;
        await store.manager.close();
        expect(store.faults).toContain('close');
        expect(logged).toHaveBeenCalledWith(
          expect.stringContaining('1 removal(s) of namespace "ns" never reached the table'),
        );
      } finally {
        logged.mockRestore();
      }
    });

    it.each(wholesale)(
      'is retried before any write made after it (removal by %s)',
      async (_label, removal) => {
        for (const key of ['user:1', 'user:2', 'user:3'])
          await store.ns.written(key, entry(0, PersistenceLevel.ON_CHANGE));
        await store.cut();
        await store.ns.removed(removal);
        await store.restore();
        // The retry goes first: it takes the old rows, and leaves the newer ones written after it.
        await store.ns.written('user:2', entry(2, PersistenceLevel.ON_CHANGE));
        await store.ns.written('user:3', entry(3, PersistenceLevel.PERIODIC));
        expect(await store.rows()).toEqual({ 'user:2': 2 });
        await store.manager.flush();
        expect(await store.rows()).toEqual({ 'user:2': 2, 'user:3': 3 });
      },
    );
  });
});
