import { InvalidValueError } from '../errors';
import { snapshotValue } from './snapshot-value';

const FORBIDDEN_PATCH_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks an `update()` patch and returns its frozen copy: a plain object, none of whose keys
 * (`__proto__`, `constructor`, `prototype`) could reach an object prototype.
 */
export function checkPatch(patch: unknown): Readonly<Record<string, unknown>> {
  if (
    typeof patch !== 'object' ||
    patch === null ||
    Array.isArray(patch) ||
    patch instanceof Date
  ) {
    throw new InvalidValueError('update(key, patch): patch must be a plain object');
  }
  for (const key of Reflect.ownKeys(patch)) {
    if (typeof key === 'string' && FORBIDDEN_PATCH_KEYS.has(key)) {
      throw new InvalidValueError(
        `update(key, patch): patch key "${key}" is not allowed`,
        'these keys could reach an object prototype; rename the field',
      );
    }
  }
  return snapshotValue(patch, 'patch').value as Readonly<Record<string, unknown>>;
}
