import { Logger } from '@nestjs/common';
import { PersistenceLevel } from '../options/persistence-level';
import { entryOf } from '../tiers/tier.contract';
import { PersistenceStatus } from './persistence-status';
import { StoreBusyError, type StoreGuard } from './store-guard';
import { TableWriter } from './table-writer';

/** A writer over a store that fails every statement while `down`, recording each one. */
function writerOverFakeStore() {
  const store = { down: false, statements: 0 };
  const answer = <T>(value: T): Promise<T> => {
    store.statements++;
    return store.down ? Promise.reject(new Error('down')) : Promise.resolve(value);
  };
  const guard = {
    store: {
      upsert: () => answer(undefined),
      remove: () => answer([]),
      probe: () => answer(undefined),
    },
    within: <T>(promise: Promise<T>) => promise,
  } as unknown as StoreGuard;
  const status = new PersistenceStatus();
  const writer = new TableWriter(guard, 100, status, () => true);
  const faults: Array<[string, Error]> = [];
  const ns = writer.for('ns', (operation, error) => faults.push([operation, error]));
  return { store, status, writer, ns, faults };
}

describe('TableWriter', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('reports no healthy flush when the only dirty entry was dropped while the store was down', async () => {
    const { store, status, writer, ns } = writerOverFakeStore();
    store.down = true;
    await ns.written('k', entryOf(1, { persistence: PersistenceLevel.PERIODIC }));
    await expect(writer.flushPeriodic()).rejects.toThrow('down');
    await ns.dropped('k');
    await writer.flushPeriodic();
    expect(status.lastError).toBe('down');
    expect(status.lastFlushAt).toBeUndefined();
  });

  it('keeps a row the database refused dropped when a later batch of its flush fails', async () => {
    const refusing = {
      store: {
        upsert: (rows: Array<{ key: string }>) =>
          Promise.reject(
            rows[0].key === 'refused' ? new Error('value too long') : new StoreBusyError(),
          ),
        remove: () => Promise.resolve([]),
        probe: () => Promise.resolve(),
      },
      within: <T>(promise: Promise<T>) => promise,
    } as unknown as StoreGuard;
    // One row per statement: the refused row's batch comes first, the unanswered one after.
    const writer = new TableWriter(refusing, 1, new PersistenceStatus(), () => true);
    const ns = writer.for('ns', () => undefined);
    await ns.written('refused', entryOf(1, { persistence: PersistenceLevel.PERIODIC }));
    await ns.written('later', entryOf(2, { persistence: PersistenceLevel.PERIODIC }));
    await expect(writer.flushPeriodic()).rejects.toBeInstanceOf(StoreBusyError);
    // Only the unanswered row waits for the next flush.
    expect(writer.backlog).toBe(1);
  });

  it('keeps one removal of a namespace whose invalidations keep failing', async () => {
    const { store, writer, ns } = writerOverFakeStore();
    store.down = true;
    for (let i = 0; i < 100; i++) await ns.removed({ tags: ['user'], held: [`k${i}`] });
    expect(writer.backlog).toBe(1);
    store.down = false;
    store.statements = 0;
    await ns.written('x', entryOf(1, { persistence: PersistenceLevel.ON_CHANGE }));
    // The tags, the held keys, then the write.
    expect(store.statements).toBe(3);
    expect(writer.backlog).toBe(0);
  });

  it('tells each namespace, and logs, the removals it discards when it stops (by rule and by key)', async () => {
    const { store, writer, ns, faults } = writerOverFakeStore();
    store.down = true;
    await ns.removed({ tags: ['a'] });
    await ns.removed({ glob: 'b*' });
    await ns.removed({ keys: ['c'] });
    faults.length = 0;
    writer.stop();
    expect(faults).toEqual([['close', expect.objectContaining({ code: 'E_CACHE_UNAVAILABLE' })]]);
    expect(faults[0][1].message).toContain('3 removal(s) of namespace "ns"');
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('3 removal(s) of namespace "ns"'));
    expect(writer.backlog).toBe(0);
  });
});
