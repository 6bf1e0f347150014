import { CacheError, UndefinedValueError } from '../errors/cache.error';
import { SnapshotWalker } from './snapshot-walker';

/** A value as the cache keeps it: a deeply frozen copy, and its approximate JSON size. */
export interface ValueSnapshot {
  readonly value: unknown;
  /** Approximate size in bytes of the value's JSON encoding. */
  readonly size: number;
}

let idleWalker: SnapshotWalker | undefined;

/**
 * Copies `value` into the form the cache stores and returns: JSON data plus `Date`s, deeply
 * frozen, so neither the caller who passed it nor any caller who reads it can change what the
 * cache holds. The same walk rejects what JSON would silently lose or corrupt (functions,
 * symbols, BigInt, NaN, Map/Set, circular references, `undefined` in arrays) with an error that
 * names where in the value the problem is, and refuses what some tier cannot hold: strings
 * (and property names) with a NUL or a lone surrogate, nesting deeper than `MAX_VALUE_DEPTH`.
 * A class instance with a `toJSON` method is stored as what `toJSON` returns (called once, with
 * the property name, as JSON calls it); other class instances are kept as their own enumerable
 * data, as JSON would; object properties whose value is `undefined` are dropped, as JSON would;
 * `-0` is stored as `0`, as JSON would. So a route's hit sends what its miss sent.
 * Reading the value cannot fail with anything but a `CacheError`: a getter or Proxy trap that
 * throws is reported as an `InvalidValueError` naming where.
 */
export function snapshotValue(value: unknown, label = 'value', maxBytes = Infinity): ValueSnapshot {
  if (value === undefined) throw new UndefinedValueError(label);
  // One walker serves every snapshot (set is a hot path); a getter that snapshots a value while
  // the walk reads it gets a walker of its own.
  const walker = idleWalker ?? new SnapshotWalker();
  idleWalker = undefined;
  walker.start(label, maxBytes);
  try {
    const copy = walker.copy(value);
    return { value: copy, size: walker.size };
  } catch (error) {
    if (error instanceof CacheError) throw error;
    return walker.fail(
      `could not be read: ${messageOf(error)}`,
      'store plain data (a getter or Proxy that throws cannot be copied)',
    );
  } finally {
    walker.done();
    idleWalker = walker;
  }
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an error that cannot be printed';
  }
}
