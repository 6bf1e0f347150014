import { methodCallKey } from './method-key';

class ById {
  constructor(readonly value: string) {}
}

class BySlug {
  constructor(readonly value: string) {}
}

const keyOf = (...args: unknown[]): string => methodCallKey('Products', 'find', args);

describe('methodCallKey', () => {
  it('tells apart instances of different classes that hold the same fields', () => {
    expect(keyOf(new ById('1'))).not.toBe(keyOf(new BySlug('1')));
    expect(keyOf(new ById('1'))).not.toBe(keyOf({ value: '1' }));
    expect(keyOf(new ById('1'))).toBe(keyOf(new ById('1')));
  });

  it('tells apart typed arrays of one content, and a record of their indexes', () => {
    const keys = [new Uint8Array([1, 2]), new Float64Array([1, 2]), { 0: 1, 1: 2 }].map((arg) =>
      keyOf(arg),
    );
    expect(new Set(keys).size).toBe(3);
  });

  it('tells -0 from 0, which a method may answer differently (1 / x)', () => {
    expect(keyOf(-0)).not.toBe(keyOf(0));
    expect(keyOf([-0])).not.toBe(keyOf([0]));
  });

  it('keeps the key of plain data as stable JSON', () => {
    expect(keyOf({ b: 2, a: [1, 'x'] }, null)).toBe('Products.find([{"a":[1,"x"],"b":2},null])');
  });
});
