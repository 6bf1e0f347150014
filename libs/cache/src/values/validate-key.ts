import { InvalidKeyError } from '../errors';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import { describe } from '../options/option-checks';

/**
 * Throws `InvalidKeyError` unless `key` is a non-empty string of at most 1024 characters;
 * `label` names the key in the message (`entries[1][0]`).
 */
export function assertKey(key: unknown, label = 'key'): asserts key is string {
  if (typeof key === 'string' && key.length > 0 && key.length <= CACHE_DEFAULTS.maxKeyLength) {
    return;
  }
  if (typeof key !== 'string') {
    throw new InvalidKeyError(`${label} must be a string, got ${describe(key)}`);
  }
  if (key.length === 0) throw new InvalidKeyError(`${label} is empty`);
  throw new InvalidKeyError(
    `${label} is ${key.length} characters long, over the limit of ${CACHE_DEFAULTS.maxKeyLength}`,
  );
}

/** Throws unless `keys` is an array of valid keys, naming the bad one (`keys[1]`). */
export function assertKeys(keys: unknown): asserts keys is string[] {
  if (!Array.isArray(keys)) throw new InvalidKeyError('keys must be an array');
  keys.forEach((key, i) => assertKey(key, `keys[${i}]`));
}
