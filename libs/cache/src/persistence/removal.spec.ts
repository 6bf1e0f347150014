import { PersistenceLevel } from '../options/persistence-level';
import { entryOf } from '../tiers/tier.contract';
import * as glob from '../values/glob';
import { DirtyEntries } from './dirty-entries';

const COUNT = 2000;

/** `items` as an array that counts every read of one of its elements. */
function counted(items: string[]): { array: string[]; reads: () => number } {
  let reads = 0;
  const array = new Proxy(items, {
    get(target, property, receiver) {
      if (typeof property === 'string' && /^\d+$/.test(property)) reads++;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { array, reads: () => reads };
}

describe('a removal asked of many dirty entries', () => {
  it('reads its tags and held keys once, not once per dirty entry', () => {
    const dirty = new DirtyEntries();
    for (let i = 0; i < COUNT; i++) {
      const entry = entryOf(i, { persistence: PersistenceLevel.PERIODIC, tags: [`tag-${i}`] });
      dirty.markEntry('ns', `key-${i}`, entry);
    }
    dirty.markEntry('ns', 'untouched', entryOf(0, { persistence: PersistenceLevel.PERIODIC }));
    // Every other key by its tag, the rest as held by memory: all but one go.
    const tags = counted(Array.from({ length: COUNT / 2 }, (_unused, i) => `tag-${2 * i}`));
    const held = counted(Array.from({ length: COUNT / 2 }, (_unused, i) => `key-${2 * i + 1}`));

    dirty.forgetCovered('ns', { tags: tags.array, held: held.array });

    expect([...(dirty.periodic.get('ns')?.keys() ?? [])]).toEqual(['untouched']);
    // Asked key by key, the arrays are read some million times.
    expect(tags.reads() + held.reads()).toBeLessThanOrEqual(2 * COUNT);
  });

  it('compiles its glob once, not once per dirty entry', () => {
    const dirty = new DirtyEntries();
    for (let i = 0; i < COUNT; i++) {
      dirty.markEntry('ns', `key-${i}`, entryOf(i, { persistence: PersistenceLevel.PERIODIC }));
    }
    const compiles = jest.spyOn(glob, 'compileGlob');
    try {
      dirty.forgetCovered('ns', { glob: 'key-1*' });
      expect(compiles).toHaveBeenCalledTimes(1);
    } finally {
      compiles.mockRestore();
    }
    expect(dirty.isDirty('ns', 'key-1')).toBe(false);
    expect(dirty.isDirty('ns', 'key-10')).toBe(false);
    expect(dirty.isDirty('ns', 'key-2')).toBe(true);
  });
});
