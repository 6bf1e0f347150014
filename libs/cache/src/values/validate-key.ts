import { InvalidKeyError, InvalidOptionError } from '../errors/cache.error';
import { describe } from '../options/option-checks';
import { textProblem, utf8Bytes } from './storable-text';

/**
 * The longest key, in UTF-8 bytes (not characters: 1024 ASCII characters, 341 CJK ones). With
 * the longest prefix and namespace name (64 bytes each) a `cache_storage` primary key stays far
 * below PostgreSQL's btree row limit (about 2700 bytes).
 */
export const MAX_KEY_BYTES = 1024;

/** Why `key` is not a valid key, or undefined when it is one. */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `must be a string, got ${describe(key)}`;
  if (key.length === 0) return 'is empty';
  // A UTF-16 unit takes 1 to 3 UTF-8 bytes: only keys in between need counting.
  const length = key.length;
  if (length > MAX_KEY_BYTES || (length * 3 > MAX_KEY_BYTES && utf8Bytes(key) > MAX_KEY_BYTES)) {
    return `is ${utf8Bytes(key)} bytes long (UTF-8), over the limit of ${MAX_KEY_BYTES}`;
  }
  return textProblem(key);
}

/**
 * Throws `InvalidKeyError` unless `key` is a non-empty, well-formed Unicode string without NUL
 * characters, of at most `MAX_KEY_BYTES` UTF-8 bytes; `label` names the key in the message
 * (`entries[1][0]`).
 */
export function assertKey(key: unknown, label = 'key'): asserts key is string {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new InvalidKeyError(`${label} ${problem}`);
}

/** Throws unless `keys` is an array of valid keys, naming the bad one (`keys[1]`). */
export function assertKeys(keys: unknown): asserts keys is string[] {
  if (!Array.isArray(keys)) throw new InvalidKeyError('keys must be an array');
  for (let i = 0; i < keys.length; i++) {
    // The label is built only for the key it names (a batch is a hot path).
    const problem = keyProblem(keys[i]);
    if (problem !== undefined) throw new InvalidKeyError(`keys[${i}] ${problem}`);
  }
}

/**
 * Throws `InvalidOptionError` (naming `path`) unless `text` obeys the rules of keys: tags, index
 * names and index values are stored and looked up as keys are, on every tier.
 */
export function expectKeyText(text: string, path: string): void {
  const problem = keyProblem(text);
  if (problem !== undefined) throw new InvalidOptionError(`${path} ${problem}`);
}
