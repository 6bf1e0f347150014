/** A response as the route cache stores it. */
export interface CachedResponse {
  readonly status: number;
  readonly body: unknown;
  /** Response headers given back on a hit (content type). */
  readonly headers: Readonly<Record<string, string>>;
}

/** True when `value` has the shape of a `CachedResponse`. */
export function isCachedResponse(value: unknown): value is CachedResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CachedResponse).status === 'number' &&
    'body' in value &&
    typeof (value as CachedResponse).headers === 'object'
  );
}

const DATE_TO_JSON: unknown = Reflect.get(Date.prototype, 'toJSON');

/**
 * True when `body` is an object that JSON writes as a bare string, number or boolean (a boxed
 * primitive, or a `toJSON` returning one, as Decimal or Luxon values do). Such a body is stored
 * as that primitive, which the platform would send as text on a hit where the miss sent JSON, so
 * its route is served uncached.
 */
export function writesPrimitiveJson(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  if (body instanceof Number || body instanceof String || body instanceof Boolean) return true;
  const toJSON: unknown = (body as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function' || toJSON === DATE_TO_JSON) return false;
  const json: unknown = (toJSON as (this: unknown, key: string) => unknown).call(body, '');
  return typeof json !== 'object' || json === null;
}
