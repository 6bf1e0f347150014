import { PersistenceLevel } from 'nest-tiered-cache';
import type {
  NamespacePersistence,
  PersistenceManager,
} from '../libs/cache/src/persistence/persistence-manager';
import type { CacheEntry } from '../libs/cache/src/tiers/cache-entry';
import { eventually } from './servers/eventually';
import { startManager } from './servers/manual-persistence';
import { PostgresDatabase } from './servers/postgres-database';
import { lockRow, waitingForLock } from './servers/row-lock';

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
