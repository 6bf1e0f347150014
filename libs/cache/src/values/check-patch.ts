import { InvalidValueError, WrongTypeError } from '../errors/cache.error';
import { isPlainRecord } from './plain-record';
import { snapshotValue, type ValueSnapshot } from './snapshot-value';
import { quoted } from '../logging/log-text';

const FORBIDDEN_PATCH_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks an `update()` patch and returns its frozen copy: a plain object, none of whose keys
 * (`__proto__`, `constructor`, `prototype`) could reach an object prototype, and no larger than
 * `maxBytes` on its own (the merged value is checked again by `mergePatch`).
 */
export function checkPatch(patch: unknown, maxBytes = Infinity): Readonly<Record<string, unknown>> {
  if (typeof patch !== 'object' || patch === null) throw notPlain();
  // Copied first: a Proxy or getter is read once, by the walk that reports its faults.
  const copy = snapshotValue(patch, 'patch', maxBytes).value as Readonly<Record<string, unknown>>;
  if (Array.isArray(copy) || copy instanceof Date) throw notPlain();
  for (const key of Object.keys(copy)) {
    if (FORBIDDEN_PATCH_KEYS.has(key)) {
      throw new InvalidValueError(
        `update(key, patch): patch key ${quoted(key)} is not allowed`,
        'these keys could reach an object prototype; rename the field',
      );
    }
  }
  return copy;
}

/**
 * What `update(key, patch)` stores: `patch` shallow-merged into `current`, which must be an
 * object, as a snapshot held to `maxBytes` (`maxValueBytes`), like any value `set` stores.
 */
export function mergePatch(
  key: string,
  current: unknown,
  patch: Readonly<Record<string, unknown>>,
  maxBytes = Infinity,
): ValueSnapshot {
  if (!isPlainRecord(current)) {
    throw new WrongTypeError(`cannot update ${quoted(key)}: its value is not an object`);
  }
  return snapshotValue({ ...current, ...patch }, `update(${quoted(key)})`, maxBytes);
}

function notPlain(): InvalidValueError {
  return new InvalidValueError('update(key, patch): patch must be a plain object');
}
