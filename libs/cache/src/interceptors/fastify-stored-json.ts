import { storedJsonOf } from './stored-json-text';

/** The part of a Fastify reply a hit's reply touches. */
interface FastifyReply {
  send: (this: FastifyReply, payload?: unknown) => unknown;
  serializer(serialize: ((payload: unknown) => string) | null): unknown;
  getHeader(name: string): unknown;
  header(name: string, value: string): unknown;
  readonly request?: unknown;
}

/** The content type Fastify gives a reply it serializes as JSON. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** What Fastify keeps of a route, read to know how it serializes a reply (see `plainlySerialized`). */
interface RouteContext {
  readonly schema?: { readonly response?: unknown } | null;
}

/**
 * Symbols Fastify keeps a request's route, a route's app serializer and a reply's serializer
 * under, by description: found on the first object that has them, and looked for again on an
 * object that lacks the one found (another copy of Fastify in the process).
 */
const SYMBOLS = new Map<string, symbol | undefined>();

/** The own symbol `description` names on `target` (see `SYMBOLS`), or undefined. */
function ownSymbol(target: object, description: string): symbol | undefined {
  let key = SYMBOLS.get(description);
  if (key === undefined || !Object.prototype.hasOwnProperty.call(target, key)) {
    key = Object.getOwnPropertySymbols(target).find((own) => own.description === description);
    SYMBOLS.set(description, key);
  }
  return key;
}

/** Per route: true when Fastify writes its replies with plain `JSON.stringify`. */
const PLAIN_ROUTES = new WeakMap<object, boolean>();

/**
 * Lets Fastify send a hit's body as the JSON written once for that body, rather than serializing
 * the stored object on every hit, where that changes nothing Fastify would send. `send` of this
 * one reply is wrapped; when the very object the cache returned reaches it (nothing further out
 * replaced it), on a route Fastify serializes with plain `JSON.stringify` (no response schema, no
 * reply serializer of the app's), with no content type and no serializer given to the reply by
 * then, it types the reply as Fastify would before its `preSerialization` hooks run, and gives
 * the reply a serializer that writes the kept text for that object and `JSON.stringify` for
 * anything a hook made of it, as Fastify would. Anything else, and any later send of the reply
 * (an error's, after a hook failed), is Fastify's own `send`. Where Fastify's route context
 * cannot be read as expected, the reply is left alone.
 */
export function serializeStoredJsonOnFastify(reply: unknown, body: unknown): void {
  if (typeof body !== 'object' || body === null || !Object.isFrozen(body)) return;
  const fastify = reply as FastifyReply & Record<symbol, unknown>;
  const send = fastify.send;
  if (typeof send !== 'function' || typeof fastify.serializer !== 'function') return;
  const context = routeContextOf(fastify);
  if (context === undefined || !plainlySerialized(context)) return;
  let first = true;
  let serialize: ((payload: unknown) => string) | undefined;
  // Where this reply keeps its serializer, once known.
  let slot: symbol | undefined;
  fastify.send = function (this: FastifyReply, payload?: unknown): unknown {
    if (first) {
      first = false;
      slot = ownSymbol(fastify, 'fastify.reply.serializer');
      // Unless something gave the reply a serializer of its own (a hook may have).
      const unserialized = slot !== undefined && fastify[slot] === null;
      if (payload === body && this.getHeader('content-type') === undefined && unserialized) {
        this.header('content-type', JSON_TYPE);
        serialize = (made) => (made === body ? storedJsonOf(body).text : JSON.stringify(made));
        this.serializer(serialize);
      }
    } else if (serialize !== undefined && fastify[slot as symbol] === serialize) {
      // A later send (an error's, after a hook failed) is typed and serialized by Fastify.
      this.serializer(null);
    }
    return send.call(this, payload);
  };
}

/** The route context Fastify keeps on the reply's request (the reply reads it from there). */
function routeContextOf(reply: FastifyReply): RouteContext | undefined {
  const request = reply.request as Record<symbol, unknown> | undefined;
  if (typeof request !== 'object' || request === null) return undefined;
  const key = ownSymbol(request, 'fastify.context');
  const context = key === undefined ? undefined : request[key];
  return typeof context === 'object' && context !== null ? context : undefined;
}

/**
 * True when Fastify writes this route's replies with plain `JSON.stringify`. A route's schema and
 * the app's serializer can no longer change once Fastify serves requests: kept per route. Every
 * field read must be there as Fastify 5 keeps it; anything else answers false.
 */
function plainlySerialized(context: RouteContext): boolean {
  let plain = PLAIN_ROUTES.get(context);
  if (plain === undefined) {
    const fields = context as RouteContext & Record<symbol, unknown>;
    const defaultSerializer = ownSymbol(fields, 'fastify.replySerializerDefault');
    plain =
      context.schema?.response === undefined &&
      defaultSerializer !== undefined &&
      (fields[defaultSerializer] === null || fields[defaultSerializer] === undefined);
    PLAIN_ROUTES.set(context, plain);
  }
  return plain;
}
