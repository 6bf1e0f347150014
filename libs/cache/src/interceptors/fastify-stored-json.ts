import { storedJsonOf } from './stored-json-text';

/** The part of a Fastify reply a hit's reply touches. */
interface FastifyReply {
  serializer(serialize: (payload: unknown) => string): unknown;
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
 * Fastify keeps a request's route and a reply's serializers under symbols of its own; they are
 * found by description on the first reply seen, and the route's looked for again when a request
 * lacks it (another copy of Fastify in the process).
 */
const keys: { context?: symbol; serializer?: symbol; defaultSerializer?: symbol } = {};

/** Per route: true when Fastify writes its replies with plain `JSON.stringify`. */
const PLAIN_ROUTES = new WeakMap<object, boolean>();

/**
 * Lets Fastify send a hit's body as the JSON written once for that body, rather than serializing
 * the stored object on every hit, where that changes nothing Fastify would send: only on a route
 * Fastify serializes with plain `JSON.stringify` (no response schema, no reply serializer of the
 * app's or of this reply), read from Fastify's own route context, and for a reply whose type the
 * app has not set. Where that context cannot be read as expected, the reply is left alone. The
 * serializer given to this one reply runs after the `preSerialization` hooks, as Fastify's own
 * does, and sends the kept text only for the very object the cache returned; anything else (a
 * hook or an interceptor further out replaced the body, an error is sent instead) gets
 * `JSON.stringify`, what Fastify would have used. `onSend` hooks see the same text either way.
 */
export function serializeStoredJsonOnFastify(reply: unknown, body: unknown): void {
  if (typeof body !== 'object' || body === null || !Object.isFrozen(body)) return;
  const fastify = reply as FastifyReply & Record<symbol, unknown>;
  if (typeof fastify.serializer !== 'function' || typeof fastify.header !== 'function') return;
  // A reply of a type set by the app is left to Fastify, which checks the type against the body.
  if (fastify.getHeader('content-type') !== undefined) return;
  const context = routeContextOf(fastify);
  if (context === undefined || !plainlySerialized(context)) return;
  const serializer = (keys.serializer ??= symbolNamed(fastify, 'fastify.reply.serializer'));
  // A hook before this one may have given the reply a serializer of its own.
  if (serializer === undefined || fastify[serializer] !== null) return;
  fastify.serializer((payload) => {
    // Text reaches a serializer only in a reply whose type was set since: Fastify sends it as is.
    if (typeof payload === 'string') return payload;
    // Fastify types a reply it serializes itself, but not one a serializer was given for.
    if (fastify.getHeader('content-type') === undefined) fastify.header('content-type', JSON_TYPE);
    return payload === body ? storedJsonOf(body).text : JSON.stringify(payload);
  });
}

/** The route context Fastify keeps on the reply's request (the reply reads it from there). */
function routeContextOf(reply: FastifyReply): RouteContext | undefined {
  const request = reply.request as Record<symbol, unknown> | undefined;
  if (typeof request !== 'object' || request === null) return undefined;
  let context = keys.context === undefined ? undefined : request[keys.context];
  if (typeof context !== 'object' || context === null) {
    keys.context = symbolNamed(request, 'fastify.context');
    context = keys.context === undefined ? undefined : request[keys.context];
  }
  return typeof context === 'object' && context !== null ? context : undefined;
}

/**
 * True when Fastify writes this route's replies with plain `JSON.stringify`. A route's schema and
 * the app's serializer can no longer change once Fastify serves requests: kept per route. Every field
 * read must be there as Fastify 4 and 5 keep it; anything else answers false.
 */
function plainlySerialized(context: RouteContext): boolean {
  let plain = PLAIN_ROUTES.get(context);
  if (plain === undefined) {
    const fields = context as RouteContext & Record<symbol, unknown>;
    const defaultSerializer = (keys.defaultSerializer ??= symbolNamed(
      fields,
      'fastify.replySerializerDefault',
    ));
    plain =
      context.schema?.response === undefined &&
      defaultSerializer !== undefined &&
      Object.prototype.hasOwnProperty.call(fields, defaultSerializer) &&
      (fields[defaultSerializer] === null || fields[defaultSerializer] === undefined);
    PLAIN_ROUTES.set(context, plain);
  }
  return plain;
}

function symbolNamed(target: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(target).find((key) => key.description === description);
}
