import type { DynamicModule, Provider } from '@nestjs/common';
import { CacheService } from '../cache.service';
import { getCacheToken } from '../cache.tokens';
import { UnknownNamespaceError } from '../errors/cache.error';
import { NamespaceCache } from '../namespace/namespace-cache';
import { injectedNamespaces, markFallback } from './namespace-requests';

/** Methods of a namespace: what a class given an undeclared one might call before the check. */
const METHODS = new Set(
  Object.getOwnPropertyNames(NamespaceCache.prototype).filter((name) => name !== 'constructor'),
);

/**
 * What `@InjectCache(name)` resolves to where `name` is not declared, so Nest does not stop with
 * its generic "can't resolve dependencies" before the bootstrap check names the namespace. Every
 * method throws the error the check would.
 */
function undeclaredNamespace(name: string, service: CacheService): object {
  const fallback: object = new Proxy(Object.create(null) as object, {
    get: (_target, property) =>
      typeof property === 'string' && METHODS.has(property)
        ? () => {
            throw new UnknownNamespaceError(name, service.names());
          }
        : undefined,
  });
  return markFallback(fallback);
}

/**
 * The core module, plus a fallback provider (global, like the module) for every name asked of
 * `@InjectCache` that `declared` does not hold. Read when Nest scans the modules, after every
 * decorated class is defined: `forRoot()` itself may run before some of them are.
 * @internal used by `CacheModule.forRoot/forRootAsync`.
 */
export function withInjectionFallbacks(
  module: DynamicModule,
  declared: readonly string[],
): DynamicModule {
  const providers = module.providers ?? [];
  const exports = module.exports ?? [];
  const missing = (): string[] => injectedNamespaces().filter((name) => !declared.includes(name));
  return Object.defineProperties(
    { ...module },
    {
      providers: {
        enumerable: true,
        get: () => [...providers, ...missing().map(fallbackProvider)],
      },
      exports: { enumerable: true, get: () => [...exports, ...missing().map(getCacheToken)] },
    },
  );
}

function fallbackProvider(name: string): Provider {
  return {
    provide: getCacheToken(name),
    useFactory: (service: CacheService) => undeclaredNamespace(name, service),
    inject: [CacheService],
  };
}
