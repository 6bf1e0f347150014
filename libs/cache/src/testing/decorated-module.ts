import type { Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CacheModule } from '../cache.module';

/**
 * A started Nest testing module for decorator specs: the cache module with memory namespaces
 * `namespaces`, and `provider`, whose methods carry the decorators under test.
 */
export async function decoratedModule(
  namespaces: string[],
  provider: Type<unknown>,
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot({ namespaces })],
    providers: [provider],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}
