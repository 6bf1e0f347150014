import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CacheModule,
  CacheService,
  type CacheModuleOptions,
  type NamespaceCache,
} from 'nest-tiered-cache';

/** A Nest application context with only the cache module, as one instance of a service. */
export interface CacheApp {
  readonly app: INestApplicationContext;
  readonly service: CacheService;
  ns<V = unknown>(name: string): NamespaceCache<V>;
  close(): Promise<void>;
}

export async function startCacheApp(options: CacheModuleOptions): Promise<CacheApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot(options)],
  }).compile();
  const app = await moduleRef.init();
  const service = app.get(CacheService);
  return {
    app,
    service,
    ns: <V>(name: string) => service.namespace<V>(name),
    close: () => app.close(),
  };
}
