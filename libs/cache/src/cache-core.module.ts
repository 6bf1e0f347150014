import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  CACHE_MODULE_OPTIONS,
  ConfigurableCacheModule,
  RESOLVED_CACHE_OPTIONS,
} from './cache.module-definition';
import { CacheService } from './cache.service';
import { NamespaceCheck } from './decorators/namespace-check';
import { CacheHealthIndicator } from './health/cache.health-indicator';
import { CACHE_MANAGER, cacheManagerCompat } from './compat/cache-manager.compat';
import type { CacheModuleOptions } from './options/cache-options.interface';
import { validateModuleOptions } from './options/validate-options';

/**
 * Owns the options, the namespace registry and shutdown; imported once by
 * `CacheModule.forRoot/forRootAsync` and global, so feature modules reach it.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_CACHE_OPTIONS,
      useFactory: (options: CacheModuleOptions) => validateModuleOptions(options),
      inject: [CACHE_MODULE_OPTIONS],
    },
    CacheService,
    NamespaceCheck,
    CacheHealthIndicator,
    {
      provide: CACHE_MANAGER,
      useFactory: (service: CacheService) =>
        cacheManagerCompat(() => service.namespace(service.defaultNamespace)),
      inject: [CacheService],
    },
  ],
  exports: [CacheService, CacheHealthIndicator, CACHE_MANAGER],
})
export class CacheCoreModule extends ConfigurableCacheModule {}
