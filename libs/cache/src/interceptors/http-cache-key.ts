import { createHash } from 'node:crypto';

/** The parts of a request that make its cache key. */
export interface KeyedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Headers that identify a user: a request carrying one is cached only when varied on it. */
export const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'] as const;

/**
 * Headers that frameworks use to build URLs (the classic cache-poisoning vectors). Always part of
 * the key: a request with a forged `X-Forwarded-Host` gets an entry of its own, never anyone
 * else's.
 */
export const URL_SHAPING_HEADERS = [
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-host',
  'x-original-url',
  'x-rewrite-url',
] as const;

/**
 * The cache key of an HTTP request: method, host, path and sorted query string; then, when the
 * request carries URL-shaping headers or the route varies on headers, a digest of their values
 * (credentials never appear in a key in clear). `vary` names are lower case.
 */
export function httpCacheKey(request: KeyedRequest, vary: readonly string[]): string {
  const { headers } = request;
  const at = request.url.indexOf('?');
  const path = at < 0 ? request.url : request.url.slice(0, at);
  const query = at < 0 ? '' : sortedQuery(request.url.slice(at + 1));
  const host = typeof headers.host === 'string' ? headers.host : '';
  let key = `${request.method} ${host}${path}${query ? `?${query}` : ''}`;
  let shaped = false;
  for (const name of URL_SHAPING_HEADERS) if (headers[name] !== undefined) shaped = true;
  if (shaped || vary.length > 0 || key.length > 900) {
    const keyed = URL_SHAPING_HEADERS.filter((name) => headers[name] !== undefined);
    const digest = createHash('sha256');
    for (const name of [...new Set([...keyed, ...vary])].sort()) {
      const value = headers[name];
      digest.update(
        `${name}\u0000${Array.isArray(value) ? value.join('\u0000') : (value ?? '')}\u0001`,
      );
    }
    if (key.length > 900) {
      digest.update(key);
      key = key.slice(0, 900);
    }
    key = `${key}#${digest.digest('base64url')}`;
  }
  return key;
}

/** True when the request carries a credential header that `vary` does not cover. */
export function carriesUnvariedCredentials(
  request: KeyedRequest,
  vary: readonly string[],
): boolean {
  for (const name of CREDENTIAL_HEADERS) {
    if (request.headers[name] !== undefined && !vary.includes(name)) return true;
  }
  return false;
}

function sortedQuery(search: string): string {
  // By name only, and stable: `?ids=2&ids=1` and `?ids=1&ids=2` are different requests.
  return [...new URLSearchParams(search).entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
