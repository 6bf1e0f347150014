import { PERSISTENCE_LEVELS, PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry, EntryTemplate } from './cache-entry';
import { addToCounter, mergeEntry, withExpiry } from './entry-rules';
import { entryOf, fieldsOf, metadataOf, plainEntry, withFields } from './plain-entry';

const DAY = 86_400_000;

/** Every field of `CacheEntry` but the value and size set: a field added to it must be added here. */
const FULL_METADATA: Required<EntryTemplate> = {
  expiresAt: 10,
  graceUntil: 20,
  persistence: PersistenceLevel.PERIODIC,
  tags: ['t'],
  indexes: { email: 'a@b.c' },
};
const FULL: Required<CacheEntry> = { value: 'v', size: 3, ...FULL_METADATA };

describe('plainEntry', () => {
  it.each([
    ['an hour from now', Date.now() + 3_600_000],
    ['never', Infinity],
    ['a year from now (past the small-integer range)', Date.now() + 365 * DAY],
    ['a fraction of a millisecond', Date.now() + 1.5],
    ['long ago', 1_000],
    ['the epoch itself', 0],
  ])('gives back every field it was given, expiring %s, at every level', (_label, expiresAt) => {
    for (const persistence of PERSISTENCE_LEVELS) {
      for (const size of [0, 1, 7, 123_456_789]) {
        const value = { n: size };
        expect(fieldsOf(plainEntry(value, size, expiresAt, persistence))).toEqual({
          value,
          size,
          expiresAt,
          persistence,
        });
      }
    }
  });

  it('holds no grace period, tags or indexes', () => {
    const entry = plainEntry(1, 8, Infinity, PersistenceLevel.ON_CHANGE);
    expect([entry.graceUntil, entry.tags, entry.indexes]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('keeps an entry with metadata whole', () => {
    expect(entryOf(FULL)).toEqual(FULL);
  });
});

describe('copying an entry', () => {
  const expiresAt = Date.now() + 60_000;
  const plain = (): CacheEntry => plainEntry('v', 3, expiresAt, PersistenceLevel.ON_CHANGE);
  const plainMetadata = {
    expiresAt,
    graceUntil: undefined,
    persistence: PersistenceLevel.ON_CHANGE,
    tags: undefined,
    indexes: undefined,
  };
  const plainFields = { value: 'v', size: 3, ...plainMetadata };

  it('fieldsOf keeps every field of CacheEntry as an own property, also those a plain entry inherits', () => {
    expect(fieldsOf(FULL)).toStrictEqual(FULL);
    expect({ ...fieldsOf(plain()) }).toStrictEqual(plainFields);
  });

  it('metadataOf keeps every field but the value and size', () => {
    expect(metadataOf(FULL)).toStrictEqual(FULL_METADATA);
    expect(metadataOf(plain())).toStrictEqual(plainMetadata);
  });

  it('withFields keeps every field it is not given, and removes one given as undefined', () => {
    expect(withFields(FULL, {})).toStrictEqual(FULL);
    expect(fieldsOf(withFields(plain(), { value: 'w' }))).toStrictEqual({
      ...plainFields,
      value: 'w',
    });
    expect(withFields(FULL, { graceUntil: undefined, tags: undefined })).toStrictEqual({
      ...FULL,
      graceUntil: undefined,
      tags: undefined,
    });
  });
});

describe('the read-modify-write rules on a plain entry', () => {
  const expiresAt = Date.now() + 60_000;
  const entry = (value: unknown): CacheEntry =>
    plainEntry(value, 10, expiresAt, PersistenceLevel.ON_SHUTDOWN);

  it('update keeps its expiry and level', () => {
    expect(fieldsOf(mergeEntry('k', entry({ a: 1 }), { b: 2 }) as CacheEntry)).toMatchObject({
      value: { a: 1, b: 2 },
      expiresAt,
      persistence: PersistenceLevel.ON_SHUTDOWN,
    });
  });

  it('increment keeps its expiry and level', () => {
    const template = { expiresAt: Infinity, persistence: PersistenceLevel.MEMORY_ONLY };
    expect(fieldsOf(addToCounter('k', entry(2), 3, template))).toMatchObject({
      value: 5,
      expiresAt,
      persistence: PersistenceLevel.ON_SHUTDOWN,
    });
  });

  it('expire keeps its value, size and level', () => {
    expect(fieldsOf(withExpiry(entry('v'), expiresAt + 5))).toEqual({
      value: 'v',
      size: 10,
      expiresAt: expiresAt + 5,
      persistence: PersistenceLevel.ON_SHUTDOWN,
    });
  });
});
