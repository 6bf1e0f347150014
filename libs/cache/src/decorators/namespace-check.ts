import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { UnknownNamespaceError } from '../errors/cache.error';
import { isFallback, namespaceRequests, type NamespaceRequest } from './namespace-requests';

/** What the check needs to know of the registry (kept narrow so this file imports no service). */
export interface DeclaredNamespaces {
  names(): string[];
  readonly defaultNamespace: string;
}

/**
 * A decorator asks for a namespace the application does not declare (`@InjectCache`,
 * `@Cacheable`, `@CachePut`, `@CacheEvict`, `@CacheOptions({ namespace })`), or `@InjectCache`
 * asks for one its module cannot see. Thrown when the application starts; code
 * `E_CACHE_UNKNOWN_NAMESPACE`.
 */
export class UndeclaredNamespaceError extends UnknownNamespaceError {
  constructor(request: NamespaceRequest, declared: readonly string[], elsewhere: boolean) {
    super(request.namespace, declared);
    this.message = elsewhere
      ? `${request.by}: cache namespace "${request.namespace}" is declared, but not in a module this class's module imports (hint: add CacheModule.forFeature(['${request.namespace}']) to the imports of the module that provides it, or declare it in CacheModule.forRoot({ namespaces }))`
      : `${request.by}: ${this.message}`;
  }
}

/**
 * Checks that every namespace the application's classes ask for is declared (the default
 * namespace always is: it is registered on first use), and that every `@InjectCache` got a
 * namespace its module can see. `CacheService` runs it first thing at start, before it opens any
 * connection, so a failed start leaves nothing open.
 */
@Injectable()
export class NamespaceCheck {
  constructor(private readonly discovery: DiscoveryService) {}

  /** Throws `UndeclaredNamespaceError` for the first request `cache` cannot serve. */
  verify(cache: DeclaredNamespaces): void {
    const declared = cache.names();
    const known = new Set([...declared, cache.defaultNamespace]);
    for (const { metatype, instance } of [
      ...this.discovery.getControllers(),
      ...this.discovery.getProviders(),
    ]) {
      // Only classes Nest built: values and factory results were not decorated for this app.
      if (typeof metatype !== 'function' || !isInstanceOf(instance, metatype)) continue;
      for (const request of namespaceRequests(metatype)) {
        if (!known.has(request.namespace)) {
          throw new UndeclaredNamespaceError(request, declared, false);
        }
        if (request.probe && isFallback((instance as Record<symbol, unknown>)[request.probe])) {
          throw new UndeclaredNamespaceError(request, declared, true);
        }
      }
    }
  }
}

function isInstanceOf(instance: unknown, type: object): boolean {
  return (
    typeof instance === 'object' &&
    instance !== null &&
    (instance as { constructor?: unknown }).constructor === type
  );
}
