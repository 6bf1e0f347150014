import { PersistenceLevel } from '../options/persistence-level';
import { plainEntry } from '../tiers/plain-entry';
import { withMark } from './shared-mends';
import { StorageStore } from './storage-store';
import type { StoredRow } from './storage-sql';
import { fromRow, toRow } from './stored-entry';

/** A row of namespace `ns` marked `mark`, as `SharedFollow` marks it. */
function marked(key: string, value: unknown, mark: string): StoredRow {
  return withMark(
    toRow('ns', key, plainEntry(value, 1, Infinity, PersistenceLevel.ON_CHANGE)),
    mark,
  );
}

/** The mending statements on the embedded store (sql.js, in memory): SQLite's own SQL. */
describe('StorageStore.mend on SQLite', () => {
  let store: StorageStore;

  beforeEach(async () => {
    store = await StorageStore.open({ type: 'sqljs' }, 'app', true);
  });
  afterEach(() => store.close());

  const values = async (): Promise<Record<string, unknown>> => {
    const found: Record<string, unknown> = {};
    await store.forEachPage('ns', 100, (rows) => {
      for (const row of rows) found[row.key] = fromRow(row).value;
    });
    return found;
  };

  it('deletes and replaces only the rows that still carry the mark they were written with', async () => {
    await store.upsert(
      [marked('a', 1, 'x.0'), marked('b', 2, 'y.0'), marked('c', 3, 'x.0'), marked('d', 4, 'y.0')],
      10,
    );
    const written = await store.mend(
      'ns',
      [
        { key: 'a', mark: 'x.0' },
        { key: 'b', mark: 'x.0' },
      ],
      [
        { row: marked('c', 30, 'x.1'), was: 'x.0' },
        { row: marked('d', 40, 'x.1'), was: 'x.0' },
      ],
      [],
    );
    expect(written).toEqual([]);
    expect(await values()).toEqual({ b: 2, c: 30, d: 4 });
  });

  it('writes back a missing row, never over a live one', async () => {
    await store.upsert([marked('b', 2, 'y.0')], 10);
    const written = await store.mend('ns', [], [], [marked('a', 1, 'x.1'), marked('b', 20, 'x.1')]);
    expect(written).toEqual(['a']);
    expect(await values()).toEqual({ a: 1, b: 2 });
  });

  it('reads marked rows back as the entries they hold', async () => {
    await store.upsert([marked('a', { n: 1 }, 'x.0')], 10);
    const [row] = await store.read('ns', ['a']);
    expect(fromRow(row)).toMatchObject({
      value: { n: 1 },
      persistence: PersistenceLevel.ON_CHANGE,
    });
  });
});
