import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import { plainEntry } from '../tiers/plain-entry';
import { mendsOf, noMends, withMark, type Unchecked } from './shared-mends';
import { toRow } from './stored-entry';

const entry = (value: unknown, level = PersistenceLevel.ON_CHANGE): CacheEntry =>
  plainEntry(value, 1, Infinity, level);
const written = (key: string, value: unknown, mark: string): Unchecked => ({
  key,
  row: toRow('ns', key, entry(value)),
  mark,
});

describe('mendsOf', () => {
  it('mends nothing when the shared tier holds what this instance last did', () => {
    const mends = mendsOf(
      'ns',
      [written('a', 1, 'm.0'), { key: 'b' }],
      [entry(1), undefined],
      'm.1',
    );
    expect(noMends(mends)).toBe(true);
  });

  it('deletes a written row the shared tier lacks or keeps in memory only, under its mark', () => {
    const mends = mendsOf(
      'ns',
      [written('a', 1, 'm.0'), written('b', 2, 'm.0')],
      [undefined, entry(2, PersistenceLevel.MEMORY_ONLY)],
      'm.1',
    );
    expect(mends.gone).toEqual([
      { key: 'a', mark: 'm.0' },
      { key: 'b', mark: 'm.0' },
    ]);
    expect(mends.changed).toEqual([]);
  });

  it("replaces a written row the shared tier holds otherwise by the shared tier's entry", () => {
    const mends = mendsOf('ns', [written('a', 1, 'm.0')], [entry(2)], 'm.1');
    expect(mends.changed).toEqual([
      { row: withMark(toRow('ns', 'a', entry(2)), 'm.1'), was: 'm.0' },
    ]);
  });

  it('writes back a deleted row the shared tier holds, unmarked until it is sent', () => {
    const mends = mendsOf('ns', [{ key: 'a' }], [entry(3)], 'm.1');
    expect(mends.missing).toEqual([toRow('ns', 'a', entry(3))]);
  });

  it('marks a row last in its metadata, and the metadata stays JSON', () => {
    const row = withMark(toRow('ns', 'a', entry(1)), 'abc.1');
    expect(JSON.parse(row.metadata)).toEqual({
      persistence: PersistenceLevel.ON_CHANGE,
      w: 'abc.1',
    });
    expect(row.metadata.endsWith(',"w":"abc.1"}')).toBe(true);
  });
});
