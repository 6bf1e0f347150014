import { InvalidValueError } from '../errors/cache.error';
import { readonlyDate } from './readonly-date';
import { MAX_VALUE_DEPTH } from './snapshot-walker';

/**
 * Deep-freezes, in place, a value freshly decoded from a tier (JSON data and Dates nobody else
 * holds), giving its Dates the read-only prototype: what `snapshotValue` returns, without a copy.
 * A value nested deeper than `MAX_VALUE_DEPTH` (no `set` stores one: it was written around the
 * cache) is refused with an `InvalidValueError`, as `snapshotValue` would refuse it.
 */
export function freezeDecoded<T>(value: T): T {
  if (typeof value === 'object' && value !== null) freezeObject(value, 1);
  return value;
}

/** `freezeDecoded` of an object at `depth`: children that are objects first (a read's hot path). */
function freezeObject(value: object, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) {
    throw new InvalidValueError(
      `a stored value is nested more than ${MAX_VALUE_DEPTH} levels deep`,
      'the entry was not written by this cache',
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === 'object' && child !== null) freezeObject(child, depth + 1);
    }
  } else if (value instanceof Date) {
    readonlyDate(value);
  } else {
    // for-in walks the object's cached key list where Object.keys would allocate one per object.
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) freezeObject(child, depth + 1);
    }
  }
  Object.freeze(value);
}
