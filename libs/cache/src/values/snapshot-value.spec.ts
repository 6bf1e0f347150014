import { runInNewContext } from 'node:vm';
import { InvalidValueError } from '../errors';
import { snapshotValue } from './snapshot-value';

describe('snapshotValue', () => {
  it('copies and deep-freezes, leaving the input alone', () => {
    const input = { a: [1, { b: 'x' }], when: new Date(5) };
    const { value } = snapshotValue(input) as { value: typeof input };
    expect(value).toEqual(input);
    expect(value).not.toBe(input);
    expect(Object.isFrozen(value) && Object.isFrozen(value.a) && Object.isFrozen(value.a[1])).toBe(
      true,
    );
    expect(Object.isFrozen(input)).toBe(false);
    expect(value.when).not.toBe(input.when);
    expect(() => value.when.setTime(0)).toThrow(/Cannot change a Date/);
  });

  it('copies shared (non-circular) references as JSON would', () => {
    const shared = { x: 1 };
    const { value } = snapshotValue({ a: shared, b: shared }) as { value: Record<string, unknown> };
    expect(value).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it('measures approximately the JSON size', () => {
    const input = { name: 'Ada', tags: ['a', 'b'], n: 1 };
    const { size } = snapshotValue(input);
    const json = JSON.stringify(input).length;
    expect(size).toBeGreaterThanOrEqual(json * 0.8);
    expect(size).toBeLessThanOrEqual(json * 2);
  });

  it('stores what toJSON returns for a class instance, called once with the key, as JSON does', () => {
    class Money {
      constructor(private readonly cents: number) {}
      toJSON(key: string): string {
        return `${key}: ${(this.cents / 100).toFixed(2)} EUR`;
      }
    }
    class Self {
      readonly n = 1;
      toJSON(): this {
        return this;
      }
    }
    class Nested {
      toJSON(): unknown {
        return { inner: new Money(5), again: new Nested2() };
      }
    }
    class Nested2 {
      readonly m = 2;
      toJSON(): Nested2 {
        return new Nested2();
      }
    }
    const input = {
      price: new Money(1234),
      list: [new Money(1)],
      self: new Self(),
      n: new Nested(),
    };
    const { value } = snapshotValue(input);
    expect(value).toEqual(JSON.parse(JSON.stringify(input)));
    expect(value).toEqual({
      price: 'price: 12.34 EUR',
      list: ['0: 0.01 EUR'],
      self: { n: 1 },
      n: { inner: 'inner: 0.05 EUR', again: { m: 2 } },
    });
    expect(snapshotValue(new Money(7)).value).toBe(': 0.07 EUR');
  });

  it('stores boxed numbers, strings and booleans as their primitives, as JSON does', () => {
    const input = {
      n: new Number(5),
      s: new String('ab'),
      no: new Boolean(false),
      list: [new Number(-0), new String('')],
    };
    const { value } = snapshotValue(input);
    expect(value).toEqual(JSON.parse(JSON.stringify(input)));
    expect(value).toEqual({ n: 5, s: 'ab', no: false, list: [0, ''] });
    expect(Object.is((value as { list: unknown[] }).list[0], 0)).toBe(true);
  });

  it('unboxes a boxed primitive of another realm, and takes no object for a box by its tag', () => {
    const foreign = runInNewContext('({ n: new Number(5), s: new String("ab") })') as object;
    expect(snapshotValue(foreign).value).toEqual({ n: 5, s: 'ab' });
    class Liar {
      readonly x = 1;
      get [Symbol.toStringTag](): string {
        return 'Number';
      }
    }
    expect(snapshotValue({ liar: new Liar() }).value).toEqual({ liar: { x: 1 } });
  });

  it("keeps a Date as a Date, but stores a Date subclass's own toJSON as JSON would", () => {
    class Day extends Date {
      override toJSON(): string {
        return this.toISOString().slice(0, 10);
      }
    }
    const at = Date.UTC(2024, 0, 2, 15, 30);
    const { value } = snapshotValue({ due: new Day(at), at: new Date(at) });
    expect(value).toEqual({ due: '2024-01-02', at: new Date(at) });
    expect((value as { at: unknown }).at).toBeInstanceOf(Date);
  });

  it('refuses a toJSON that returns undefined, and a Buffer (whose toJSON would hide its type)', () => {
    class Nothing {
      toJSON(): undefined {
        return undefined;
      }
    }
    expect(() => snapshotValue({ a: new Nothing() })).toThrow(
      /value\.a has a toJSON method that returned undefined/,
    );
    expect(() => snapshotValue({ b: Buffer.from('x') })).toThrow(/value\.b is a binary buffer/);
  });

  it('refuses own __proto__ keys', () => {
    expect(() => snapshotValue(JSON.parse('{"__proto__": {"x": 1}}'))).toThrow(InvalidValueError);
  });

  it('stores up to 128 levels of nesting and refuses deeper', () => {
    const nest = (levels: number): unknown => {
      let deep: unknown = 1;
      for (let i = 0; i < levels; i++) deep = i % 2 ? [deep] : { d: deep };
      return deep;
    };
    expect(snapshotValue(nest(128)).value).toEqual(nest(128));
    expect(() => snapshotValue(nest(129))).toThrow('nested too deeply to store (more than 128');
  });

  it('stores -0 as 0', () => {
    const { value } = snapshotValue({ z: -0, list: [-0] }) as {
      value: { z: number; list: number[] };
    };
    expect(Object.is(value.z, 0) && Object.is(value.list[0], 0)).toBe(true);
  });

  it.each([
    ['a NUL', { s: 'a\0' }, 'value.s contains a NUL'],
    ['a lone surrogate', ['\udc00'], 'value[0] is not well-formed Unicode'],
    ['a NUL in a property name', { 'a\0': 1 }, 'is a property name that contains a NUL'],
  ])('refuses %s', (_label, input, message) => {
    expect(() => snapshotValue(input)).toThrow(message);
  });

  it('reports a throwing getter as an InvalidValueError at its path', () => {
    const input = {
      list: [
        {
          get bad(): never {
            throw new Error('nope');
          },
        },
      ],
    };
    expect(() => snapshotValue(input)).toThrow(InvalidValueError);
    expect(() => snapshotValue(input)).toThrow('value.list[0].bad could not be read: nope');
  });

  it('names the right path after a failed walk, and inside a getter that snapshots', () => {
    expect(() => snapshotValue({ a: { b: [1, () => 1] } })).toThrow('value.a.b[1] is a function');
    expect(() => snapshotValue({ c: NaN })).toThrow('value.c is NaN');
    const inner = {
      get nested(): unknown {
        return snapshotValue({ x: [1] }, 'inner').value;
      },
      then: [undefined],
    };
    expect(() => snapshotValue(inner)).toThrow('value.then[0] is undefined');
    expect(snapshotValue({ outer: inner.nested, y: 'z' }).value).toEqual({
      outer: { x: [1] },
      y: 'z',
    });
    const { value, size } = snapshotValue({ k: 'v' });
    expect(value).toEqual({ k: 'v' });
    expect(size).toBe(snapshotValue({ k: 'v' }).size);
  });

  it('turns a stack overflow into a clear error', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => snapshotValue(deep)).toThrow('value is nested too deeply to store');
  });
});
