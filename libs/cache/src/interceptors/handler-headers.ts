/** A raw response's headers as Express and Fastify both list them (lower-case names). */
export interface HeaderedResponse {
  getHeaders?(): Readonly<Record<string, unknown>>;
}

/**
 * Headers the cache writes itself, or that never describe the stored response alone. The
 * platform writes an ETag as it sends each body: a refresh-ahead run, on a request already
 * answered with the old body, would otherwise store that body's ETag with the new one.
 */
const NOT_REPLAYED = new Set([
  'x-cache',
  'set-cookie',
  'etag',
  'content-length',
  'transfer-encoding',
  'connection',
  'date',
]);

/** The response's headers as they stand, to tell later which ones the handler set. */
export function headersNow(response: HeaderedResponse): Readonly<Record<string, unknown>> {
  return typeof response.getHeaders === 'function' ? { ...response.getHeaders() } : {};
}

/**
 * The headers set or changed on `response` since `before` (while the handler, and interceptors
 * closer to it, made the response): a hit sends them again, as the miss did, or a hit would lose
 * a `Content-Disposition` or a `Cache-Control` the handler set. A list becomes one line, as HTTP
 * allows for every header but `Set-Cookie` (never stored: such a response is not cached).
 */
export function headersSetSince(
  before: Readonly<Record<string, unknown>>,
  response: HeaderedResponse,
): Record<string, string> {
  const set: Record<string, string> = {};
  const now = headersNow(response);
  for (const name of Object.keys(now)) {
    if (NOT_REPLAYED.has(name)) continue;
    const value = line(now[name]);
    if (value !== undefined && value !== line(before[name])) set[name] = value;
  }
  return set;
}

function line(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(String).join(', ');
  return undefined;
}
