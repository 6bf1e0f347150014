import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { relative } from 'node:path';
import { CacheCoreModule } from './cache-core.module';
import { CACHE_ASYNC_OPTIONS_TYPE, CACHE_OPTIONS_TYPE } from './cache.module-definition';
import { CacheService } from './cache.service';
import { getCacheToken } from './cache.tokens';
import { withInjectionFallbacks } from './decorators/injection-fallbacks';
import { CacheError } from './errors';
import type { NamespaceOptions } from './options/cache-options.interface';
import { validateNamespaceList } from './options/namespace-options';

/**
 * The front door. `forRoot` / `forRootAsync` once in the root module (global); `forFeature` in
 * any module to register namespaces as injectable providers (`@InjectCache(name)`).
 */
@Module({})
export class CacheModule {
  /**
   * Configures caching for the whole application. Namespaces listed in `options.namespaces` are
   * injectable everywhere.
   */
  static forRoot(options: typeof CACHE_OPTIONS_TYPE = {}): DynamicModule {
    const core = CacheCoreModule.forRoot(options);
    const names = Array.isArray(options.namespaces)
      ? options.namespaces.map((item) => (typeof item === 'string' ? item : item?.name))
      : [];
    const providers = names
      .filter((name): name is string => typeof name === 'string')
      .map((name) => namespaceProvider(name, (service) => service.namespace(name)));
    return {
      module: CacheModule,
      imports: [
        withInjectionFallbacks(
          {
            ...core,
            providers: [...(core.providers ?? []), ...providers],
            exports: [...(core.exports ?? []), ...providers],
          },
          names.filter((name): name is string => typeof name === 'string'),
        ),
      ],
    };
  }

  /**
   * Configures caching from other providers, e.g. `ConfigService`:
   * `forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => ({...}) })`.
   * Namespaces declared by the factory are reached through `CacheService.namespace(name)`;
   * declare them with `forFeature` to inject them.
   */
  static forRootAsync(options: typeof CACHE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return {
      module: CacheModule,
      imports: [withInjectionFallbacks(CacheCoreModule.forRootAsync(options), [])],
    };
  }

  /**
   * Registers namespaces as providers of the calling module, each under `getCacheToken(name)`.
   * The same name may be declared in several modules if the settings are identical.
   */
  static forFeature(namespaces: (NamespaceOptions | string)[]): DynamicModule {
    const site = callerSite();
    if (!Array.isArray(namespaces)) {
      throw new CacheError(
        'CacheModule.forFeature(namespaces): expected an array',
        'E_CACHE_INVALID_OPTION',
      );
    }
    const declarations = validateNamespaceList(namespaces, 'CacheModule.forFeature');
    const providers = declarations.map((declaration, i) =>
      namespaceProvider(declaration.name, (service) =>
        service.register(declaration, `CacheModule.forFeature[${i}] (${site})`),
      ),
    );
    return { module: CacheModule, providers, exports: providers };
  }
}

function namespaceProvider(name: string, resolve: (service: CacheService) => unknown): Provider {
  return {
    provide: getCacheToken(name),
    useFactory: (service: CacheService | undefined) => {
      if (!service) throw new MissingRootError(name);
      return resolve(service);
    },
    inject: [{ token: CacheService, optional: true }],
  };
}

class MissingRootError extends CacheError {
  constructor(name: string) {
    super(
      `cache namespace "${name}" is declared, but CacheModule.forRoot() is not imported`,
      'E_CACHE_MODULE_MISSING',
      'import CacheModule.forRoot() or CacheModule.forRootAsync() in the root module',
    );
  }
}

/** Where `forFeature` was called from, to name both places of a conflicting declaration. */
function callerSite(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const outside = frames.find((frame) => !frame.includes(__filename));
  const location = outside?.match(/\(([^()]+)\)\s*$/)?.[1] ?? outside?.trim().replace(/^at\s+/, '');
  return location ? relative(process.cwd(), location) : 'unknown location';
}
