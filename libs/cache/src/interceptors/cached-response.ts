import { StreamableFile } from '@nestjs/common';
import { snapshotValue } from '../values/snapshot-value';
import { DATE_TO_JSON } from '../values/snapshot-walker';
import { unboxed } from '../values/unboxed';
import type { HeaderedResponse } from './handler-headers';

/** A response as the route cache stores it. */
export interface CachedResponse {
  readonly status: number;
  readonly body: unknown;
  /** Response headers given back on a hit (content type, those the handler set). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A raw response as Express and Fastify both expose it. */
export interface HttpResponse extends HeaderedResponse {
  getHeader(name: string): unknown;
  /** Fastify's reply wraps the Node response. */
  readonly raw?: { getHeader(name: string): unknown };
}

/**
 * The stored form of a response: status, body, and the headers to send it back with: its content
 * type and the `headers` its handler set (see `headersSetSince`).
 */
export function toCachedResponse(
  status: number,
  response: HttpResponse,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): CachedResponse {
  const contentType = response.getHeader('content-type');
  return {
    status,
    body,
    headers:
      typeof contentType === 'string' ? { ...headers, 'content-type': contentType } : headers,
  };
}

/**
 * A handler's body as the cache stores and hands it out on a hit: a deeply frozen copy. A miss
 * hands on this form too, so a response never depends on whether it was cached; the handler's
 * own object is left as it was.
 */
export function storedForm(body: unknown): unknown {
  return snapshotValue(body, 'route body').value;
}

/** Only 2xx responses with a storable body and no cookie being set are kept. */
export function isCacheableResponse(
  status: number,
  response: HttpResponse,
  body: unknown,
): boolean {
  if (status < 200 || status >= 300) return false;
  // Middleware may have set the cookie on the Node response under Fastify's reply.
  const cookie = response.getHeader('set-cookie') ?? response.raw?.getHeader('set-cookie');
  if (cookie !== undefined) return false;
  if (body === undefined || body instanceof StreamableFile || Buffer.isBuffer(body)) return false;
  if (jsonDiffersFromStored(body)) return false;
  // `null` is a value, stored as any other.
  return body === null || typeof (body as { pipe?: unknown }).pipe !== 'function';
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

/**
 * True when JSON writes `body` otherwise than the cache would give it back: a boxed primitive
 * (stored as the primitive), a `toJSON` that returns a primitive, a box, null or a Date (as
 * Decimal or Luxon values do), or an array with a `toJSON` of its own. Stored, such a body would
 * be sent on a hit as text, or as other JSON, where the miss sent its JSON, so its route is
 * served uncached.
 */
export function jsonDiffersFromStored(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  if (unboxed(body) !== undefined) return true;
  const toJSON: unknown = (body as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function' || toJSON === DATE_TO_JSON) return false;
  if (Array.isArray(body)) return true;
  const json: unknown = (toJSON as (this: unknown, key: string) => unknown).call(body, '');
  return (
    typeof json !== 'object' ||
    json === null ||
    unboxed(json) !== undefined ||
    Object.prototype.toString.call(json) === '[object Date]'
  );
}
