import { InvalidValueError } from '../errors/cache.error';

const DATE_TAG = '$d';

/**
 * Encodes a snapshot (JSON data plus Dates, see `snapshotValue`) as JSON text that other tiers
 * store, and decodes it back. A Date becomes `{"$d": "<ISO>"}`; so that user data can never be
 * mistaken for a tag, a one-key object whose key starts with `$` gets one more `$` on the way
 * out and loses it on the way in (`{"$d": 1}` is stored as `{"$$d": 1}`).
 */
export function encodeValue(value: unknown): string {
  // A replacer makes the native encoder call back into JavaScript for every property; most
  // values hold no Date and no `$` key, and a walk that finds none is cheaper than those calls.
  return needsTags(value) ? JSON.stringify(value, replacer) : JSON.stringify(value);
}

/** True when `value` holds a Date or a one-key object whose key starts with `$`. */
function needsTags(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Date) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsTags(value[i])) return true;
    return false;
  }
  let count = 0;
  let first = '';
  for (const key in value) {
    if (count++ === 0) first = key;
    if (needsTags((value as Record<string, unknown>)[key])) return true;
  }
  return count === 1 && first.startsWith('$');
}

/** Decodes what `encodeValue` wrote; throws `InvalidValueError` on text that is not JSON. */
export function decodeValue(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    // Without a `$` in the text, written or escaped (`\u0024`, the only escape that makes one),
    // there is no tag to revive; with one, a walk after the native parse revives tags at half
    // the cost of a reviver.
    return text.indexOf('$') < 0 && text.indexOf('\\u0024') < 0 ? value : revive(value);
  } catch (error) {
    throw new InvalidValueError(`stored value cannot be decoded: ${(error as Error).message}`);
  }
}

/** What `JSON.parse(text, reviver)` gives, children first, on freshly parsed data (in place). */
function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (typeof child !== 'object' || child === null) continue;
    const revived = revive(child);
    // Defined, not assigned: a `__proto__` key of the data stays a plain property.
    if (revived !== child)
      Object.defineProperty(record, key, {
        value: revived,
        writable: true,
        enumerable: true,
        configurable: true,
      });
  }
  return Array.isArray(value) ? value : reviver('', value);
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return { [DATE_TAG]: raw.toISOString() };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0].startsWith('$')) {
      return { [`$${keys[0]}`]: (value as Record<string, unknown>)[keys[0]] };
    }
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !keys[0].startsWith('$')) return value;
  const only = keys[0];
  const inner = (value as Record<string, unknown>)[only];
  if (only === DATE_TAG) return reviveDate(inner);
  if (only.startsWith('$$')) return { [only.slice(1)]: inner };
  return value;
}

/** A Date tag back as a Date; text `toISOString` cannot have written (no valid date) is refused. */
function reviveDate(text: unknown): Date {
  const date = new Date(typeof text === 'string' ? text : NaN);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== text) {
    throw new InvalidValueError(
      `a stored Date holds ${String(JSON.stringify(text)).slice(0, 40)}, not an ISO time`,
    );
  }
  return date;
}
