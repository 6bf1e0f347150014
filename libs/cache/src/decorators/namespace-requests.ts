import { Inject } from '@nestjs/common';
import { getCacheToken } from '../cache.tokens';

/** A namespace a decorator asks for, and who asks (for the error when it is not declared). */
export interface NamespaceRequest {
  readonly namespace: string;
  /** e.g. `UsersService.find (@Cacheable)`. */
  readonly by: string;
  /** Set for `@InjectCache`: the property the probe of this injection lands in. */
  readonly probe?: symbol;
}

/** Class metadata: the namespaces the class's decorators ask for. */
const NAMESPACE_REQUESTS = Symbol('cache:namespace-requests');

/**
 * Every name any class asks `@InjectCache` for, process-wide: the core module gives each one a
 * fallback provider so Nest resolves it, and the bootstrap check then names what is missing.
 */
const injected = new Set<string>();

/** Records that `target` (a class) asks for `request.namespace`. */
export function requestNamespace(target: object, request: NamespaceRequest): void {
  const own = (Reflect.getOwnMetadata(NAMESPACE_REQUESTS, target) ?? []) as NamespaceRequest[];
  Reflect.defineMetadata(NAMESPACE_REQUESTS, [...own, request], target);
}

/** What `type` and the classes it extends ask for. */
export function namespaceRequests(type: object): NamespaceRequest[] {
  const requests: NamespaceRequest[] = [];
  for (
    let at: object | null = type;
    at && at !== Function.prototype;
    at = Object.getPrototypeOf(at) as object | null
  ) {
    const own: unknown = Reflect.getOwnMetadata(NAMESPACE_REQUESTS, at);
    if (Array.isArray(own)) requests.push(...(own as NamespaceRequest[]));
  }
  return requests;
}

/** Names asked for with `@InjectCache` so far. */
export function injectedNamespaces(): readonly string[] {
  return [...injected];
}

/**
 * Records an `@InjectCache(name)` on `target` (a constructor parameter's class, or a property's
 * prototype), and adds a hidden property injection of the same token: Nest resolves it from the
 * same module as the injection itself, so the bootstrap check can see what the class was given.
 */
export function requestInjection(
  target: object,
  name: string,
  where: string | symbol | undefined,
): void {
  injected.add(name);
  const type =
    typeof target === 'function' ? target : (target as { constructor: object }).constructor;
  const probe = Symbol(`cache:injected(${name})`);
  Inject(getCacheToken(name))((type as { prototype: object }).prototype, probe);
  const className = (type as { name?: string }).name ?? 'a class';
  requestNamespace(type, {
    namespace: name,
    by: `${className}${where === undefined ? '' : `.${String(where)}`} (@InjectCache)`,
    probe,
  });
}

const fallbacks = new WeakSet<object>();

/** Marks what an `@InjectCache` of an undeclared namespace resolves to. */
export function markFallback<T extends object>(fallback: T): T {
  fallbacks.add(fallback);
  return fallback;
}

/** True for what an `@InjectCache` of an undeclared namespace resolved to. */
export function isFallback(value: unknown): boolean {
  return typeof value === 'object' && value !== null && fallbacks.has(value);
}
