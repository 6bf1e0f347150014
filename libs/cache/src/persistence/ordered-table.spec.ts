import { DirtyEntries } from './dirty-entries';
import { WriteQueue } from './write-queue';
import { OrderedTable } from './ordered-table';
import type { StoreGuard } from './store-guard';

/** A table over a store that records each statement, failing every one while `down`. */
function tableOverFakeStore() {
  const store = { down: false, statements: [] as string[] };
  const answer = <T>(statement: string, value: T): Promise<T> => {
    store.statements.push(statement);
    return store.down ? Promise.reject(new Error('down')) : Promise.resolve(value);
  };
  const guard = {
    store: {
      upsert: () => answer('upsert', undefined),
      remove: (namespace: string, removal: object) =>
        answer(`remove ${namespace} ${JSON.stringify(removal)}`, []),
      probe: () => answer('probe', undefined),
    },
  } as unknown as StoreGuard;
  return { store, table: new OrderedTable(guard, new DirtyEntries(), 100, new WriteQueue()) };
}

describe('OrderedTable', () => {
  it("sends a namespace's waiting removals before any later statement of it, and only of it", async () => {
    const { store, table } = tableOverFakeStore();
    table.keep('a', { tags: ['t'] });
    table.keep('a', { glob: 'x*' });
    await table.of('b').upsert([], 1);
    await table.of('a').upsert([], 1);
    await table.of('a').upsert([], 1);
    expect(store.statements).toEqual([
      'upsert',
      'remove a {"tags":["t"]}',
      'remove a {"glob":"x*"}',
      'upsert',
      'upsert',
    ]);
    expect(table.waiting()).toBe(0);
  });

  it('sends no later statement while a waiting removal fails, and keeps it', async () => {
    const { store, table } = tableOverFakeStore();
    table.keep('a', { all: true });
    store.down = true;
    await expect(table.remove('a', { keys: ['k'] })).rejects.toThrow('down');
    expect(store.statements).toEqual(['remove a {"all":true}']);
    expect(table.discard()).toEqual(new Map([['a', 1]]));
  });
});
