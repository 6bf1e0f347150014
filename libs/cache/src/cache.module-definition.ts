import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CacheModuleOptions } from './options/cache-options.interface';

/** `forRoot` / `forRootAsync` of the core module, generated. */
export const {
  ConfigurableModuleClass: ConfigurableCacheModule,
  MODULE_OPTIONS_TOKEN: CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE: CACHE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CACHE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CacheModuleOptions>({ moduleName: 'Cache' })
  .setClassMethodName('forRoot')
  .build();

/** The validated options, with defaults applied. */
export const RESOLVED_CACHE_OPTIONS = Symbol('RESOLVED_CACHE_OPTIONS');
