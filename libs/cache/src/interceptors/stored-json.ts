import { storedJsonOf, type EtagFunction } from './stored-json-text';

/** The part of an Express response a hit's reply touches. */
interface ExpressResponse {
  json: (this: ExpressResponse, ...args: unknown[]) => unknown;
  send(body: string | Buffer): unknown;
  get(field: string): unknown;
  set(field: string, value: string): unknown;
  setHeader(field: string, value: string): unknown;
  readonly app?: { get(setting: string): unknown };
}

/** What Express's `json` sends a body as when nothing set a type: `json`, then `send`'s charset. */
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Lets Express send a hit's body as JSON written once for that body, rather than serializing the
 * stored object on every hit: `json` of this one response is wrapped, and when the very object
 * the cache returned reaches it (no interceptor further out replaced it) the kept text is sent,
 * with the body, content type, charset and ETag Express itself would send (its built-in weak or
 * strong ETag computed once with the text; only the ETag header comes before Content-Length).
 * Anything else goes to Express's own `json`. Apps that change how Express writes JSON
 * (`json replacer`, `json spaces`, `json escape`) are left to Express, and an app's own `etag`
 * function is left to `send` (it may not give the same answer twice). The text and its bytes are
 * kept as long as their body, outside the memory tier's byte budget.
 */
export function sendStoredJson(response: unknown, body: unknown): void {
  if (typeof body !== 'object' || body === null || !Object.isFrozen(body)) return;
  const express = response as ExpressResponse;
  const app = express.app;
  if (typeof express.json !== 'function' || typeof app?.get !== 'function') return;
  if (
    app.get('json replacer') !== undefined ||
    app.get('json spaces') !== undefined ||
    app.get('json escape')
  ) {
    return;
  }
  const json = express.json;
  express.json = function (this: ExpressResponse, ...args: unknown[]): unknown {
    if (args.length !== 1 || args[0] !== body) return json.apply(this, args);
    const stored = storedJsonOf(body);
    // Sent as bytes when the type is Express's own: `send` then neither encodes the text nor
    // parses the type again to add its charset. A type set by the app gets its charset from `send`.
    const typed = Boolean(this.get('Content-Type'));
    if (!typed) this.setHeader('Content-Type', JSON_TYPE);
    // `send` hashes the body for its ETag unless one is set: the same hash, kept with the text.
    // Express's own functions (setting `etag` true, 'weak' or 'strong') hash text and bytes alike.
    const etagOf = app.get('etag fn');
    const builtIn = typeof app.get('etag') !== 'function';
    if (builtIn && typeof etagOf === 'function' && !this.get('ETag')) {
      const by = etagOf as EtagFunction;
      if (stored.etag?.by !== by) stored.etag = { by, value: by(stored.text, 'utf8') };
      if (stored.etag.value) this.set('ETag', stored.etag.value);
    }
    if (typed) return this.send(stored.text);
    stored.bytes ??= Buffer.from(stored.text, 'utf8');
    return this.send(stored.bytes);
  };
}
