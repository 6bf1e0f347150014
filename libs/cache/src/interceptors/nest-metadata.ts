/**
 * Metadata Nest's own decorators write, read here by value: the constants and the
 * `RouteParamtypes` enum live in files of `@nestjs/common` that are not part of its public entry
 * point (`@nestjs/common/constants`, `@nestjs/common/enums/...`), and a package that must load in
 * every supported major may not import them. `cache.interceptor.spec.ts` checks each value
 * against the public decorator that writes it, so a major that changes one fails there.
 */

/** Written by `@HttpCode(status)` on the handler. */
export const HTTP_CODE_METADATA = '__httpCode__';

/** Written by `@Sse()` on the handler. */
export const SSE_METADATA = '__sse__';

/** Written by `@Redirect()` on the handler: the route answers 3xx, never cached. */
export const REDIRECT_METADATA = '__redirect__';

/** Written on the controller, per handler name, by parameter decorators (`@Res()`, `@Next()`...). */
export const ROUTE_ARGS_METADATA = '__routeArguments__';

/** `RouteParamtypes.RESPONSE`: the `@Res()` / `@Response()` parameter. */
export const RESPONSE_PARAM = 1;

/** `RouteParamtypes.NEXT`: the `@Next()` parameter. */
export const NEXT_PARAM = 2;

/** Whether a route writes the response itself (`@Res()`, `@Next()`), from its parameters. */
export function takesRawResponse(controller: object, handlerName: string): boolean {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handlerName) as
    Record<string, unknown> | undefined;
  return Object.keys(args ?? {}).some((arg) => {
    const type = Number(arg.split(':')[0]);
    return type === RESPONSE_PARAM || type === NEXT_PARAM;
  });
}

/** Written by `@Version()` on the handler and by `@Controller({ version })` on the class. */
export const VERSION_METADATA = '__version__';

/**
 * The versions a route answers, as `@Version()` or its controller declare them (the handler's
 * first), in one text; undefined when it declares none. Header and media-type versioning route
 * one URL to several handlers: this tells their responses apart.
 */
export function routeVersion(controller: object, handler: object): string | undefined {
  const declared: unknown =
    Reflect.getMetadata(VERSION_METADATA, handler) ??
    Reflect.getMetadata(VERSION_METADATA, controller);
  if (declared === undefined) return undefined;
  const versions = Array.isArray(declared) ? declared : [declared];
  // `VERSION_NEUTRAL` is a symbol; a declared version is a string.
  return versions
    .map((version) => (typeof version === 'symbol' ? `(${version.description})` : `${version}`))
    .sort()
    .join(',');
}

/** Whether a route answers otherwise than with a body: it streams (`@Sse()`) or redirects (3xx). */
export function streamsOrRedirects(handler: object): boolean {
  return Boolean(
    Reflect.getMetadata(SSE_METADATA, handler) || Reflect.getMetadata(REDIRECT_METADATA, handler),
  );
}
