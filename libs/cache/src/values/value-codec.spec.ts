import { InvalidValueError } from '../errors';
import { decodeValue, encodeValue } from './value-codec';
import { freezeDecoded } from './freeze-decoded';
import { snapshotValue } from './snapshot-value';
import { MAX_VALUE_DEPTH } from './snapshot-walker';

describe('value codec', () => {
  const roundTrip = (value: unknown): unknown =>
    decodeValue(encodeValue(snapshotValue(value).value));

  it.each([
    ['a string', 'text'],
    ['null', null],
    ['numbers', [0, -1.5, 2 ** 53 - 1]],
    ['a nested object', { a: { b: [1, { c: true }] } }],
    ['a Date', new Date('2021-02-03T04:05:06.789Z')],
    ['nested Dates', { when: new Date(0), list: [new Date(1)] }],
    ['a look-alike of the Date tag', { $d: '2020-01-01T00:00:00.000Z' }],
    ['escaped look-alikes', [{ $$d: 'x' }, { $x: 1 }, { $: 2 }, { $d: 1, other: 2 }]],
    ['unicode', { ключ: '值 🚀', nl: 'a\nb' }],
  ])('round-trips %s exactly', (_label, value) => {
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it.each([
    ['a Date deep in arrays', [[[{ at: [new Date(3)] }]]]],
    ['a `$` key deep in an object', { a: { b: { c: [{ $x: 'y' }] } } }],
    ['a Date tag look-alike deep in an object', { a: { b: [{ $d: '2020-01-01T00:00:00.000Z' }] } }],
    [
      'a Date after many plain properties',
      { ...Object.fromEntries([...'abcdefgh'].map((k) => [k, k])), z: new Date(9) },
    ],
  ])('finds and tags %s', (_label, value) => {
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('writes plain data as JSON itself', () => {
    const value = snapshotValue({ a: [1, 'two', { three: null }], $x: 1, y: true }).value;
    expect(encodeValue(value)).toBe(JSON.stringify(value));
  });

  it('gives Dates back as Date instances', () => {
    const decoded = roundTrip({ when: new Date(5) }) as { when: unknown };
    expect(decoded.when).toBeInstanceOf(Date);
  });

  it('revives a tag under a `__proto__` key as a plain property, never as the prototype', () => {
    const decoded = decodeValue(
      '{"__proto__": {"$d": "1970-01-01T00:00:00.000Z"}, "list": [{"$$d": 1}]}',
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toEqual(new Date(0));
    expect(decoded.list).toEqual([{ $d: 1 }]);
  });

  it('reads an escaped tag the same whatever else the text holds', () => {
    // Never written by `encodeValue`: crafted text, read one way with or without another `$`.
    const tag = '{"\\u0024d":"not a time"}';
    expect(() => decodeValue(`{"a":"x","b":${tag}}`)).toThrow(InvalidValueError);
    expect(() => decodeValue(`{"a":"x$","b":${tag}}`)).toThrow(InvalidValueError);
    expect(decodeValue('{"\\u0024\\u0024d":1}')).toEqual({ $d: 1 });
    expect(decodeValue('{"k":{"\\u0024\\u0024d":1},"z":"$"}')).toEqual({ k: { $d: 1 }, z: '$' });
  });

  it('refuses a decoded value nested deeper than a set may store', () => {
    const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
    expect(() => freezeDecoded(nested(MAX_VALUE_DEPTH))).not.toThrow();
    expect(() => freezeDecoded(nested(MAX_VALUE_DEPTH + 1))).toThrow(InvalidValueError);
    expect(() => snapshotValue(nested(MAX_VALUE_DEPTH + 1))).toThrow(InvalidValueError);
  });

  it('refuses text that is not JSON', () => {
    expect(() => decodeValue('{oops')).toThrow(/stored value cannot be decoded/);
  });
});
