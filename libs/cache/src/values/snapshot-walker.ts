import { InvalidValueError, ValueTooLargeError } from '../errors/cache.error';
import { readonlyDate } from './readonly-date';
import { textProblem } from './storable-text';
import { unboxed } from './unboxed';

/**
 * The deepest nesting of arrays and objects a value may have (a scalar is at depth 0, `[1]` at
 * 1). Every tier and codec holds this depth easily; far deeper values (thousands of levels)
 * overflow encoders' stacks on some tiers and not others.
 */
export const MAX_VALUE_DEPTH = 128;

const UNSUPPORTED: ReadonlyArray<[abstract new (...args: never[]) => unknown, string]> = [
  [Map, 'a Map'],
  [Set, 'a Set'],
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [Promise, 'a Promise'],
  [RegExp, 'a RegExp'],
  [Error, 'an Error'],
  [ArrayBuffer, 'an ArrayBuffer'],
];

// Read off the prototype to compare with, never called detached.
/** `Date.prototype.toJSON`: a Date with no other `toJSON` is kept as a Date. */
export const DATE_TO_JSON: unknown = Reflect.get(Date.prototype, 'toJSON');

/**
 * One walk over a value, for `snapshotValue`: copies it into the form the cache stores, counts its
 * approximate JSON size against a limit, and names where in the value a problem is. Reusable:
 * `start` begins a walk and `done` lets go of what it read.
 */
export class SnapshotWalker {
  size = 0;
  private label = 'value';
  private maxBytes = Infinity;
  // The objects being copied, outermost first, and the key of each child being copied: the
  // path in an error message is built from them only when there is an error to report.
  private readonly ancestors: object[] = [];
  private readonly segments: Array<string | number> = [];

  /** Begins a walk of the value named `label`, refused once over `maxBytes`. */
  start(label: string, maxBytes: number): void {
    this.size = 0;
    this.label = label;
    this.maxBytes = maxBytes;
  }

  /** Lets go of what the walk read, so a reused walker holds no value alive. */
  done(): void {
    // Empty already unless the walk threw.
    if (this.ancestors.length > 0) this.ancestors.length = 0;
    if (this.segments.length > 0) this.segments.length = 0;
  }

  /** Counts bytes, and stops the walk as soon as the value is over its limit (no huge copy). */
  private grow(bytes: number): void {
    this.size += bytes;
    if (this.size > this.maxBytes) {
      throw new ValueTooLargeError(`${this.label} is over maxValueBytes (${this.maxBytes} bytes)`);
    }
  }

  /** The stored form of `value`, counted into `size`. */
  copy(value: unknown): unknown {
    switch (typeof value) {
      case 'string': {
        const problem = textProblem(value);
        if (problem !== undefined) this.fail(problem, 'strings must be storable as UTF-8 text');
        this.grow(value.length + 2);
        return value;
      }
      case 'boolean':
        this.grow(5);
        return value;
      case 'number':
        if (!Number.isFinite(value)) this.fail(`is ${value}, which JSON cannot represent`);
        this.grow(8);
        // JSON (Redis, PostgreSQL) has no -0: memory must not keep one either.
        return value === 0 ? 0 : value;
      case 'object':
        if (value === null) {
          this.grow(4);
          return null;
        }
        return this.copyObject(value);
      case 'undefined':
        return this.fail('is undefined', 'use null inside arrays');
      default:
        return this.fail(`is a ${typeof value}, which cannot be stored`);
    }
  }

  /** `replaced`: `value` is what a `toJSON` returned, which JSON does not call `toJSON` on. */
  private copyObject(value: object, replaced = false): unknown {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      // A Date is kept as a Date, unless it says how it wants to be written (its own toJSON).
      if (value instanceof Date && (replaced || toJSON === DATE_TO_JSON))
        return this.copyDate(value);
      // Refused first: a Buffer's toJSON would turn it into a plain object, silently.
      this.rejectUnsupported(value);
      if (!replaced && typeof toJSON === 'function') {
        return this.copyJsonOf(value, toJSON as (this: unknown, key: string) => unknown);
      }
      // As JSON writes them: a boxed number, string or boolean as its primitive.
      const primitive = unboxed(value);
      if (primitive !== undefined) return this.copy(primitive);
    }
    if (this.ancestors.includes(value)) this.fail('is a circular reference');
    if (this.ancestors.length >= MAX_VALUE_DEPTH) {
      throw new InvalidValueError(
        `${this.label} is nested too deeply to store (more than ${MAX_VALUE_DEPTH} levels)`,
        'flatten the value',
      );
    }
    this.ancestors.push(value);
    const copy = Array.isArray(value) ? this.copyArray(value) : this.copyRecord(value);
    this.ancestors.pop();
    return Object.freeze(copy);
  }

  private rejectUnsupported(value: object): void {
    for (const [type, name] of UNSUPPORTED) {
      if (value instanceof type)
        this.fail(`is ${name}, which cannot be stored`, 'convert it to plain data');
    }
    if (ArrayBuffer.isView(value))
      this.fail('is a binary buffer, which cannot be stored', 'encode it as a string');
  }

  private copyArray(value: readonly unknown[]): unknown[] {
    this.grow(2 + value.length);
    const copy = new Array<unknown>(value.length);
    const depth = this.segments.push(0) - 1;
    for (let i = 0; i < value.length; i++) {
      this.segments[depth] = i;
      copy[i] = this.copy(value[i]);
    }
    this.segments.pop();
    return copy;
  }

  private copyRecord(value: object): Record<string, unknown> {
    this.grow(2);
    const copy: Record<string, unknown> = {};
    const depth = this.segments.push('') - 1;
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      // Named before it is read: a getter that throws is reported at its own path.
      this.segments[depth] = key;
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      if (key === '__proto__') this.fail('is an own "__proto__" key, which is not allowed');
      const problem = textProblem(key);
      if (problem !== undefined) this.fail(`is a property name that ${problem}`);
      copy[key] = this.copy(item);
      this.grow(key.length + 4);
    }
    this.segments.pop();
    return copy;
  }

  /** What JSON writes for a class instance with a `toJSON` method: its result, copied. */
  private copyJsonOf(value: object, toJSON: (this: unknown, key: string) => unknown): unknown {
    const at = this.segments.length;
    const json = toJSON.call(value, at === 0 ? '' : String(this.segments[at - 1]));
    if (json === undefined) {
      this.fail('has a toJSON method that returned undefined', 'return the data to store');
    }
    return typeof json === 'object' && json !== null
      ? this.copyObject(json, true)
      : this.copy(json);
  }

  private copyDate(value: Date): Date {
    const time = value.getTime();
    if (Number.isNaN(time)) this.fail('is an invalid Date');
    this.grow(26);
    return Object.freeze(readonlyDate(new Date(time)));
  }

  /** Throws an `InvalidValueError` naming where in the value the walk is. */
  fail(problem: string, hint?: string): never {
    const path = this.segments.reduce<string>(
      (text, segment) =>
        typeof segment === 'number' ? `${text}[${segment}]` : `${text}.${segment}`,
      this.label,
    );
    throw new InvalidValueError(`${path} ${problem}`, hint);
  }
}
