import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { headOf } from '../values/storable-text';

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
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-forwarded-server',
  'x-host',
  'x-original-host',
  'x-original-url',
  'x-rewrite-url',
] as const;

/** Longest request target kept in clear in a key, in bytes; a longer one is digested. */
const MAX_TARGET_BYTES = 512;

/** What stands for "no varied header" in a key: a digest is never this. */
const NO_VARIANT = '-';

/**
 * The key of a request to a route keyed by its URL, or undefined when the request must not be
 * cached. Four parts, each unable to run into the next:
 * `<method> <host> <variant> <target>`. The host is a valid RFC 3986 host (reg-name, IPv4 or
 * [IPv6], optional port), so it holds no space and no `/`; the variant is `-` or the digest of the
 * varied and URL-shaping headers; the target (path and query, as sent, the query sorted by name)
 * comes last, or its digest when it is long. A Host that is not a valid host, a target that is
 * not a path, or one with a `#`, is not cached. `vary` names are lower case. The variant holds
 * the route's `version` too: versioning by header sends one URL to a handler per version.
 */
export function httpCacheKey(
  request: KeyedRequest,
  vary: readonly string[],
  version?: string,
): string | undefined {
  const host = request.headers.host ?? '';
  if (typeof host !== 'string' || !isValidHost(host)) return undefined;
  const target = requestTarget(request.url);
  if (target === undefined) return undefined;
  const variant = headerVariant(request.headers, vary, version) ?? NO_VARIANT;
  return `${request.method} ${host} ${variant} ${target}`;
}

/**
 * The key of a request to a route with an explicit key (`@CacheKey`, `@CacheOptions({ key })`):
 * the key itself when the route varies on nothing and the request carries no URL-shaping header,
 * else the key, `#`, and the digest of those headers (so a key never spans users).
 */
export function explicitCacheKey(
  key: string,
  request: KeyedRequest,
  vary: readonly string[],
): string {
  const variant = headerVariant(request.headers, vary);
  return variant === undefined ? key : `${key}#${variant}`;
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

/**
 * The digest of the `vary` and URL-shaping headers the request carries and of the route's
 * `version`; undefined when there are none. An absent header and an empty one differ.
 */
function headerVariant(
  headers: KeyedRequest['headers'],
  vary: readonly string[],
  version?: string,
): string | undefined {
  let shaping: string[] | undefined;
  for (const name of URL_SHAPING_HEADERS) {
    if (headers[name] !== undefined) (shaping ??= []).push(name);
  }
  if (vary.length === 0 && shaping === undefined) {
    // The common case (nothing varied, no URL-shaping header) allocates nothing; a versioned
    // route's variant is the same for all its requests, hashed once.
    return version === undefined ? undefined : versionVariant(version);
  }
  const names = new Set(shaping ? [...vary, ...shaping] : vary);
  const pairs = [...names].sort().map((name) => [name, headers[name] ?? null]);
  // No header name holds a space: this pair is never a header's.
  if (version !== undefined) pairs.push(['route version', version]);
  return digest(JSON.stringify(pairs));
}

/** The variant of each route version met (versions are the app's own, a handful). */
const versionVariants = new Map<string, string>();

/** `headerVariant` of a request carrying no varied or URL-shaping header to a versioned route. */
function versionVariant(version: string): string {
  let variant = versionVariants.get(version);
  if (variant === undefined) {
    variant = digest(JSON.stringify([['route version', version]]));
    versionVariants.set(version, variant);
  }
  return variant;
}

/** Host per RFC 3986: reg-name or IPv4, or an [IPv6] literal, then an optional `:port`. */
const HOST =
  /^(?:\[([0-9A-Fa-f:.]+)\]|((?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*))(?::\d*)?$/;

/** Hosts already checked: a server sees few. Bounded, since clients choose what they send. */
const checkedHosts = new Map<string, boolean>();
const CHECKED_HOSTS_MAX = 256;

function isValidHost(host: string): boolean {
  let valid = checkedHosts.get(host);
  if (valid === undefined) {
    if (checkedHosts.size >= CHECKED_HOSTS_MAX) checkedHosts.clear();
    checkedHosts.set(host, (valid = checkHost(host)));
  }
  return valid;
}

/**
 * The longest Host a key takes: a DNS name of 253 characters and a port. A longer one, valid or
 * not, names no server: cached, it would push the key past its limit and log a fault on every
 * request a client chose to send with it.
 */
const HOST_MAX = 253 + ':65535'.length;

function checkHost(host: string): boolean {
  if (host.length > HOST_MAX) return false;
  const match = HOST.exec(host);
  if (!match) return false;
  const ipv6 = match[1];
  if (ipv6 !== undefined) return isIPv6(ipv6);
  // A name made of digits and dots only must be a real IPv4 address.
  const name = match[2] ?? '';
  return !/^[\d.]+$/.test(name) || isIPv4(name);
}

/** Path and query as sent, the query sorted by name; undefined when not an origin-form target. */
function requestTarget(url: string): string | undefined {
  if (!url.startsWith('/') || url.includes('#')) return undefined;
  const at = url.indexOf('?');
  const target = at < 0 ? url : `${url.slice(0, at)}?${sortedQuery(url.slice(at + 1))}`;
  // A UTF-16 unit is at most 3 UTF-8 bytes: short targets need no count.
  if (target.length * 3 <= MAX_TARGET_BYTES || Buffer.byteLength(target) <= MAX_TARGET_BYTES) {
    return target;
  }
  // Starts with `#`, which no target kept in clear does; the head stays readable.
  return `#${digest(target)} ${headOf(target, 200)}`;
}

/**
 * Most parameters a query parser reads by default (Express's and `qs`'s 1000): a query with more
 * segments is kept as sent, since sorting could move a parameter the parser drops into the part
 * it reads, and the other way round.
 */
const MAX_SORTED_SEGMENTS = 1000;

/**
 * The query's `name=value` segments exactly as sent, stably sorted by their decoded base name
 * (before any `[` or `.`): `?b=2&a=1` and `?a=1&b=2` share a key, while segments a query parser
 * could merge into one value (`?ids=2&ids=1`, `?a[]=1&a[0]=2`, `?%61=1&a=2`) keep their order.
 * Values are never decoded, so two queries share a key only when they hold the same bytes. A
 * query with more than `MAX_SORTED_SEGMENTS` segments, or a name that is not validly escaped
 * (parsers differ on what it reads as: `%FF` may be kept as sent and so be `%25FF`), is kept
 * as sent.
 */
function sortedQuery(search: string): string {
  const segments = search.split('&');
  if (segments.length > MAX_SORTED_SEGMENTS) return search;
  const named: Array<{ segment: string; name: string }> = [];
  for (const segment of segments) {
    const name = baseName(segment);
    if (name === undefined) return search;
    named.push({ segment, name });
  }
  return named
    .sort((a, b) => compare(a.name, b.name))
    .map(({ segment }) => segment)
    .join('&');
}

/** The decoded name of a segment up to any `[` or `.`; undefined when it does not decode. */
function baseName(segment: string): string | undefined {
  const raw = segment.split('=', 1)[0] ?? '';
  let name = raw;
  if (/[%+]/.test(raw)) {
    try {
      name = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  }
  return name.split(/[[.]/, 1)[0] ?? '';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
