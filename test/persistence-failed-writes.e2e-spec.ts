import { PersistenceLevel } from 'nest-tiered-cache';
import { entry, handedOver, ProxiedPersistence, REMOVALS } from './servers/manual-persistence';
import { cancelWaiting, lockRow } from './servers/row-lock';

/**
 * A removal is final in the table: a write or a flush begun before it that fails after it never
 * writes the entry back, nor one a newer write replaced or memory dropped meanwhile.
 */
describe('persistence keeps removed entries removed', () => {
  let store: ProxiedPersistence;

  beforeEach(async () => {
    store = await ProxiedPersistence.start();
  });
  afterEach(() => store.close());

  describe('a write begun before a removal, failing after it', () => {
    it.each(REMOVALS)(
      'does not bring back the row of an ON_CHANGE write removed by %s',
      async (_label, removal) => {
        await store.ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
        const lock = await lockRow(store.database, 'user:1');
        const writing = store.ns.written('user:1', entry(1, PersistenceLevel.ON_CHANGE));
        const removing = store.ns.removed(removal);
        await handedOver();
        // The write fails once the removal came; the removal itself goes through.
        await cancelWaiting(store.database);
        await writing;
        await lock.release();
        await removing;
        expect(store.faults).toEqual(['persist']);
        expect(await store.rows()).toEqual({});
        await store.manager.flush();
        expect(await store.rows()).toEqual({});
        expect(store.manager.health().dirty).toBe(0);
      },
    );

    it('does not write an ON_CHANGE write over a newer one made meanwhile', async () => {
      await store.ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
      const lock = await lockRow(store.database, 'user:1');
      const older = store.ns.written('user:1', entry(1, PersistenceLevel.ON_CHANGE));
      const newer = store.ns.written('user:1', entry(2, PersistenceLevel.ON_CHANGE));
      await handedOver();
      await cancelWaiting(store.database);
      await older;
      await lock.release();
      await newer;
      await store.manager.flush();
      expect(await store.rows()).toEqual({ 'user:1': 2 });
    });

    it.each(REMOVALS)(
      'does not bring back the row of an entry a failed flush took, removed by %s',
      async (_label, removal) => {
        await store.ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
        await store.ns.written('user:1', entry(1, PersistenceLevel.PERIODIC));
        store.proxy.freeze();
        const flushing = store.manager.flush();
        await handedOver();
        expect(store.manager.health().dirty).toBe(0);
        const removing = store.ns.removed(removal);
        await handedOver();
        // The flush, held by the frozen proxy, fails once the removal came; so does the removal.
        await store.cut();
        await expect(flushing).rejects.toThrow();
        await removing;
        await store.restore();
        await store.manager.flush();
        expect(await store.rows()).toEqual({});
        expect(store.manager.health().dirty).toBe(0);
      },
    );

    it.each([PersistenceLevel.PERIODIC, PersistenceLevel.ON_SHUTDOWN])(
      'does not bring back an entry (%s) memory dropped while a failed flush carried it',
      async (level) => {
        await store.ns.written('user:1', entry(1, level));
        store.proxy.freeze();
        const flushing = store.manager.flush();
        await handedOver();
        // Evicted or expired: it no longer waits for a flush, as what memory holds bounds them.
        await store.ns.dropped('user:1');
        await store.cut();
        await expect(flushing).rejects.toThrow();
        expect(store.manager.health().dirty).toBe(0);
        await store.restore();
        await store.manager.flush();
        expect(await store.rows()).toEqual({});
      },
    );

    it.each([PersistenceLevel.PERIODIC, PersistenceLevel.ON_CHANGE])(
      'does not write what a failed flush took over a newer %s write made meanwhile',
      async (level) => {
        // A newer PERIODIC write only waits, so only the check of which flight carries each key
        // keeps the failed flight from putting the older entry back over it (a newer ON_CHANGE
        // write fails too, and its own put-back comes later). user:2 keeps the flight in the air.
        await store.ns.written('user:1', entry(1, PersistenceLevel.PERIODIC));
        await store.ns.written('user:2', entry(1, PersistenceLevel.PERIODIC));
        store.proxy.freeze();
        const flushing = store.manager.flush();
        await handedOver();
        const newer = store.ns.written('user:1', entry(2, level));
        await handedOver();
        await store.cut();
        await expect(flushing).rejects.toThrow();
        await newer;
        await store.restore();
        await store.manager.flush();
        expect(await store.rows()).toEqual({ 'user:1': 2, 'user:2': 1 });
      },
    );
  });
});
