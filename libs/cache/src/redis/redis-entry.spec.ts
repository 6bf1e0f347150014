import { InvalidValueError } from '../errors';
import { PERSISTENCE_LEVELS, PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import { decodeEntry, encodeEntry } from './redis-entry';

const NOW = 1_700_000_000_000;

function entry(extra: Partial<CacheEntry> = {}): CacheEntry {
  return {
    value: { name: 'Ada', at: new Date(0) },
    size: 0,
    expiresAt: NOW + 60_000,
    persistence: PersistenceLevel.MEMORY_ONLY,
    ...extra,
  };
}

/** What an entry says, whichever way it holds it (a plain entry reads some through its prototype). */
function fields(entry: CacheEntry): CacheEntry {
  const { value, size, expiresAt, graceUntil, persistence, tags, indexes } = entry;
  return { value, size, expiresAt, graceUntil, persistence, tags, indexes };
}

describe('Redis entry encoding', () => {
  it.each([
    ['a TTL', entry()],
    ['no expiry', entry({ expiresAt: Infinity })],
    ['a grace period', entry({ graceUntil: NOW + 120_000 })],
    ['tags and indexes', entry({ tags: ['t1', 't,2'], indexes: { email: 'a@b.c' } })],
    ['a persistence level', entry({ persistence: PersistenceLevel.ON_CHANGE })],
    ['a fractional expiry', entry({ expiresAt: NOW + 1.5, graceUntil: NOW + 2.25 })],
    ['an expiry of 20 digits', entry({ expiresAt: Number('99999999999999999999') })],
  ])('round-trips an entry with %s', (_label, original) => {
    const decoded = decodeEntry(encodeEntry(original, NOW).text);
    expect(decoded.value).toEqual(original.value);
    expect(decoded.expiresAt).toBe(original.expiresAt);
    expect(decoded.graceUntil).toBe(original.graceUntil);
    expect(decoded.persistence).toBe(original.persistence);
    expect(decoded.tags).toEqual(original.tags);
    expect(decoded.indexes).toEqual(original.indexes);
    expect(Object.isFrozen(decoded.value)).toBe(true);
  });

  it.each(PERSISTENCE_LEVELS)(
    'reads the plain metadata of level %s as a full parse would, with or without grace',
    (persistence) => {
      for (const graceUntil of [undefined, NOW + 120_000]) {
        const original = entry({ persistence, graceUntil, value: [1, 'x'] });
        const text = encodeEntry(original, NOW).text;
        expect(text.split('\n')[1]).toBe(JSON.stringify({ p: persistence, r: [] }));
        expect(fields(decodeEntry(text))).toEqual({ ...original, size: 7 });
      }
    },
  );

  it('decodes plain metadata met again to equal, unshared entries', () => {
    const text = encodeEntry(entry(), NOW).text;
    const first = decodeEntry(text);
    const second = decodeEntry(text);
    expect(fields(second)).toEqual(fields(first));
    expect(second).not.toBe(first);
  });

  it.each([
    ['no header', '{"a":1}'],
    ['a bad expiry', 'soon\n{"p":"memory_only","r":[]}\n1'],
    ['a bad grace', '1,later\n{"p":"memory_only","r":[]}\n1'],
    ['an empty expiry before the grace', ',5\n{"p":"memory","r":[]}\n1'],
    ['an empty grace', '5,\n{"p":"memory","r":[]}\n1'],
    ['a digit then junk', '17x\n{"p":"memory","r":[]}\n1'],
    ['metadata that is not JSON', '1\n{p:\n1'],
    ['null metadata', '1\nnull\n1'],
    ['an unknown level', '1\n{"p":"sometimes","r":[]}\n1'],
    ['a value that is not JSON', '1\n{"p":"memory_only","r":[]}\n{'],
  ])('refuses an entry with %s', (_label, text) => {
    expect(() => decodeEntry(text)).toThrow(InvalidValueError);
  });
});
