import { Logger } from '@nestjs/common';
import { PersistenceLevel } from 'nest-tiered-cache';
import {
  PersistenceManager,
  type NamespacePersistence,
  type Removal,
} from '../libs/cache/src/persistence/persistence-manager';
import { storeTimeout } from '../libs/cache/src/persistence/store-guard';
import { CircuitBreaker } from '../libs/cache/src/stack/circuit-breaker';
import type { CacheEntry } from '../libs/cache/src/tiers/cache-entry';
import { startDatabaseProxy } from './servers/database-proxy';
import { manualPersistenceOptions } from './servers/manual-persistence-options';
import { PostgresDatabase } from './servers/postgres-database';
import { eventually } from './servers/eventually';
import { cancelWaiting, lockRow, waitingForLock } from './servers/row-lock';
import type { TcpProxy } from './servers/tcp-proxy';

/**
 * A started manager on `dataSource` whose statements time out after `timeout` ms and whose
 * circuit never opens (every failure a test sees is a statement's own), and its namespace `ns`,
 * whose faults go to `faults` (emptied first).
 */
async function startManager(
  dataSource: { type: 'postgres'; url: string; connectTimeoutMS?: number },
  timeout: number,
  faults: string[],
): Promise<{ manager: PersistenceManager; ns: NamespacePersistence }> {
  const manager = new PersistenceManager(
    manualPersistenceOptions({ dataSource }),
    'cache',
    new CircuitBreaker({
      name: 'PostgreSQL',
      timeout,
      failureThreshold: Number.MAX_SAFE_INTEGER,
      resetAfter: 1000,
      maxResetAfter: 1000,
    }),
  );
  await manager.start([], true);
  faults.length = 0;
  return { manager, ns: manager.for('ns', (operation) => faults.push(operation)) };
}

/**
 * A removal is final in the table. A write or a flush begun before it that fails after it never
 * writes the entry back (nor one a newer write replaced), and a removal that fails is retried
 * before any later change of its namespace reaches the table. The database fails for real: a
 * statement waiting for a row lock is cancelled, or the proxy in front of the database holds a
 * statement (frozen) and then drops every connection (cut).
 */
describe('persistence keeps removed entries removed', () => {
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  let manager: PersistenceManager;
  let ns: NamespacePersistence;
  let cutOff = false;
  const faults: string[] = [];

  beforeEach(async () => {
    database = await PostgresDatabase.create();
    const through = await startDatabaseProxy(database);
    proxy = through.proxy;
    // The store is used again as soon as the proxy passes bytes again.
    ({ manager, ns } = await startManager(
      { type: 'postgres', url: through.url, connectTimeoutMS: 500 },
      storeTimeout(),
      faults,
    ));
  });
  afterEach(async () => {
    if (cutOff) await restore();
    proxy.thaw();
    await manager.close();
    await proxy.cut();
    await database.drop();
  });

  const entry = (value: number, persistence: PersistenceLevel): CacheEntry => ({
    value,
    size: 1,
    expiresAt: Infinity,
    persistence,
    tags: ['t'],
  });
  const rows = async (): Promise<Record<string, unknown>> => {
    const found = await database.query<{ key: string; value: unknown }>(
      "SELECT key, value FROM cache_storage WHERE namespace = 'ns'",
    );
    return Object.fromEntries(found.map((row) => [row.key, row.value]));
  };
  /** Every change asked so far has reached persistence: hand-offs run as microtasks. */
  const handedOver = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  /** Fails the statements in flight and refuses connections, until `restore`. */
  const cut = (): Promise<void> => {
    cutOff = true;
    return proxy.cut();
  };
  const restore = async (): Promise<void> => {
    cutOff = false;
    proxy.thaw();
    await proxy.open();
  };

  const removals: Array<[string, Removal]> = [
    ['its key', { keys: ['user:1'] }],
    ['its tag', { tags: ['t'] }],
    ['a pattern', { glob: 'user:*' }],
    ['everything', { all: true }],
    ['a rule, as a key memory alone held', { tags: ['other'], held: ['user:1'] }],
  ];
  /** The removals that take every row of the namespace. */
  const wholesale = removals.filter(([, removal]) => !('keys' in removal || 'held' in removal));

  describe('a write begun before a removal, failing after it', () => {
    it.each(removals)(
      'does not bring back the row of an ON_CHANGE write removed by %s',
      async (_label, removal) => {
        await ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
        const lock = await lockRow(database, 'user:1');
        const writing = ns.written('user:1', entry(1, PersistenceLevel.ON_CHANGE));
        const removing = ns.removed(removal);
        await handedOver();
        // The write fails once the removal came; the removal itself goes through.
        await cancelWaiting(database);
        await writing;
        await lock.release();
        await removing;
        expect(faults).toEqual(['persist']);
        expect(await rows()).toEqual({});
        await manager.flush();
        expect(await rows()).toEqual({});
        expect(manager.health().dirty).toBe(0);
      },
    );

    it('does not write an ON_CHANGE write over a newer one made meanwhile', async () => {
      await ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
      const lock = await lockRow(database, 'user:1');
      const older = ns.written('user:1', entry(1, PersistenceLevel.ON_CHANGE));
      const newer = ns.written('user:1', entry(2, PersistenceLevel.ON_CHANGE));
      await handedOver();
      await cancelWaiting(database);
      await older;
      await lock.release();
      await newer;
      await manager.flush();
      expect(await rows()).toEqual({ 'user:1': 2 });
    });

    it.each(removals)(
      'does not bring back the row of an entry a failed flush took, removed by %s',
      async (_label, removal) => {
        await ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
        await ns.written('user:1', entry(1, PersistenceLevel.PERIODIC));
        proxy.freeze();
        const flushing = manager.flush();
        await handedOver();
        expect(manager.health().dirty).toBe(0);
        const removing = ns.removed(removal);
        await handedOver();
        // The flush, held by the frozen proxy, fails once the removal came; so does the removal.
        await cut();
        await expect(flushing).rejects.toThrow();
        await removing;
        await restore();
        await manager.flush();
        expect(await rows()).toEqual({});
        expect(manager.health().dirty).toBe(0);
      },
    );

    it.each([PersistenceLevel.PERIODIC, PersistenceLevel.ON_SHUTDOWN])(
      'does not bring back an entry (%s) memory dropped while a failed flush carried it',
      async (level) => {
        await ns.written('user:1', entry(1, level));
        proxy.freeze();
        const flushing = manager.flush();
        await handedOver();
        // Evicted or expired: it no longer waits for a flush, as what memory holds bounds them.
        await ns.dropped('user:1');
        await cut();
        await expect(flushing).rejects.toThrow();
        expect(manager.health().dirty).toBe(0);
        await restore();
        await manager.flush();
        expect(await rows()).toEqual({});
      },
    );

    it.each([PersistenceLevel.PERIODIC, PersistenceLevel.ON_CHANGE])(
      'does not write what a failed flush took over a newer %s write made meanwhile',
      async (level) => {
        // A newer PERIODIC write only waits, so only the check of which flight carries each key
        // keeps the failed flight from putting the older entry back over it (a newer ON_CHANGE
        // write fails too, and its own put-back comes later). user:2 keeps the flight in the air.
        await ns.written('user:1', entry(1, PersistenceLevel.PERIODIC));
        await ns.written('user:2', entry(1, PersistenceLevel.PERIODIC));
        proxy.freeze();
        const flushing = manager.flush();
        await handedOver();
        const newer = ns.written('user:1', entry(2, level));
        await handedOver();
        await cut();
        await expect(flushing).rejects.toThrow();
        await newer;
        await restore();
        await manager.flush();
        expect(await rows()).toEqual({ 'user:1': 2, 'user:2': 1 });
      },
    );
  });

  describe('a removal that fails', () => {
    it.each(removals)('is retried by the next flush (removal by %s)', async (_label, removal) => {
      await ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
      await cut();
      await ns.removed(removal);
      expect(faults).toEqual(['unpersist']);
      expect(manager.health().dirty).toBe(1);
      await restore();
      expect(await rows()).toEqual({ 'user:1': 0 });
      await manager.flush();
      expect(await rows()).toEqual({});
      expect(manager.health()).toMatchObject({ healthy: true, dirty: 0 });
    });

    it('waits as one removal however often it fails, and is applied once back', async () => {
      for (const key of ['user:1', 'user:2', 'other'])
        await ns.written(key, entry(0, PersistenceLevel.ON_CHANGE));
      await cut();
      // As invalidateTags without Redis: each names the keys memory held, tags in any order.
      for (let i = 0; i < 50; i++)
        await ns.removed({ tags: i % 2 ? ['t', 'u'] : ['u', 't'], held: [`held:${i}`] });
      await ns.removed({ glob: 'user:*', held: ['other'] });
      expect(manager.health().dirty).toBe(2);
      await restore();
      await manager.flush();
      expect(await rows()).toEqual({});
      expect(manager.health()).toMatchObject({ healthy: true, dirty: 0 });
    });

    it('is reported once by a failing flush, with the entries of both levels', async () => {
      await ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
      await cut();
      await ns.removed({ tags: ['t'] });
      await ns.written('user:2', entry(2, PersistenceLevel.PERIODIC));
      await ns.written('user:3', entry(3, PersistenceLevel.ON_SHUTDOWN));
      faults.length = 0;
      await expect(manager.flush()).rejects.toThrow();
      expect(faults).toEqual(['flush']);
      expect(manager.health().dirty).toBe(3);
      await restore();
      await manager.flush();
      expect(await rows()).toEqual({ 'user:2': 2, 'user:3': 3 });
    });

    it('is told, and logged, when the app closes before it could be retried', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        await ns.written('user:1', entry(0, PersistenceLevel.ON_CHANGE));
        await cut();
        await ns.removed({ tags: ['t'] });
        faults.length = 0;
        await manager.close();
        expect(faults).toContain('close');
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
          await ns.written(key, entry(0, PersistenceLevel.ON_CHANGE));
        await cut();
        await ns.removed(removal);
        await restore();
        // The retry goes first: it takes the old rows, and leaves the newer ones written after it.
        await ns.written('user:2', entry(2, PersistenceLevel.ON_CHANGE));
        await ns.written('user:3', entry(3, PersistenceLevel.PERIODIC));
        expect(await rows()).toEqual({ 'user:2': 2 });
        await manager.flush();
        expect(await rows()).toEqual({ 'user:2': 2, 'user:3': 3 });
      },
    );
  });
});

/**
 * A removal by rule over a large namespace may outlast `postgresCommandTimeout` every time, while
 * the database still carries out each delete the cache gave up on. Once one is carried out, the
 * removal no longer waits: the namespace's later changes reach the table. Here the delete waits
 * for a row lock the test holds past a short deadline, and a retry would wait for one again.
 */
describe('a removal carried out after its deadline', () => {
  const deadline = 300;
  let database: PostgresDatabase;
  let manager: PersistenceManager;
  let ns: NamespacePersistence;
  const faults: string[] = [];

  beforeEach(async () => {
    database = await PostgresDatabase.create();
    ({ manager, ns } = await startManager(
      { type: 'postgres', url: database.url },
      deadline,
      faults,
    ));
  });
  afterEach(async () => {
    await manager.close();
    await database.drop();
  });

  const entry = (value: number, tags: string[]): CacheEntry => ({
    value,
    size: 1,
    expiresAt: Infinity,
    persistence: PersistenceLevel.ON_CHANGE,
    tags,
  });
  const keys = async (): Promise<string[]> => {
    const found = await database.query<{ key: string }>(
      "SELECT key FROM cache_storage WHERE namespace = 'ns' ORDER BY key",
    );
    return found.map((row) => row.key);
  };

  it('no longer holds the later writes of its namespace', async () => {
    await ns.written('user:1', entry(1, ['t']));
    await ns.written('user:2', entry(2, ['t']));
    await database.query("CREATE TABLE saved AS SELECT * FROM cache_storage WHERE key = 'user:2'");
    const first = await lockRow(database, 'user:1');
    const removing = ns.removed({ tags: ['t'] });
    await waitingForLock(database);
    await removing;
    expect(faults).toEqual(['unpersist']);
    await first.release();
    // The database carries out the delete the cache gave up on: the removal no longer waits.
    await eventually(() => expect(manager.health().dirty).toBe(0));
    // Another instance writes a row of the tag; a retry of the delete would wait for its lock.
    await database.query('INSERT INTO cache_storage SELECT * FROM saved');
    const second = await lockRow(database, 'user:2');
    try {
      await ns.written('user:3', entry(3, ['other']));
      expect(faults).toEqual(['unpersist']);
      expect(await keys()).toEqual(['user:2', 'user:3']);
      expect(manager.health().dirty).toBe(0);
    } finally {
      await second.release();
    }
  });

  it('of keys no longer waits as pending deletes, and is not sent again', async () => {
    await ns.written('user:1', entry(1, ['t']));
    await database.query("CREATE TABLE saved AS SELECT * FROM cache_storage WHERE key = 'user:1'");
    const lock = await lockRow(database, 'user:1');
    const removing = ns.removed({ keys: ['user:1'] });
    await waitingForLock(database);
    await removing;
    expect(faults).toEqual(['unpersist']);
    expect(manager.health().dirty).toBe(1);
    await lock.release();
    // The database carries out the delete the cache gave up on: the key no longer waits.
    await eventually(() => expect(manager.health().dirty).toBe(0));
    // Another instance writes the key again; a delete sent again would take its row.
    await database.query('INSERT INTO cache_storage SELECT * FROM saved');
    await manager.flush();
    expect(await keys()).toEqual(['user:1']);
    expect(faults).toEqual(['unpersist']);
  });

  it('of keys leaves a key written again meanwhile to be written', async () => {
    await ns.written('user:1', entry(1, ['t']));
    const lock = await lockRow(database, 'user:1');
    const removing = ns.removed({ keys: ['user:1'] });
    await waitingForLock(database);
    await removing;
    // Refused at once (the database has not answered the delete): it waits for the next flush.
    await ns.written('user:1', entry(2, ['t']));
    expect(faults).toEqual(['unpersist', 'persist']);
    await lock.release();
    await eventually(async () => expect(await keys()).toEqual([]));
    expect(manager.health().dirty).toBe(1);
    await manager.flush();
    expect(await database.query("SELECT value FROM cache_storage WHERE key = 'user:1'")).toEqual([
      { value: 2 },
    ]);
  });
});
