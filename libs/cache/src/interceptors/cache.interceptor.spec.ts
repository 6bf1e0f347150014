import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Test, type TestingModule } from '@nestjs/testing';
import { HttpAdapterHost } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import { CacheModule } from '../cache.module';
import { CacheService } from '../cache.service';
import { CacheOptions } from '../decorators/cache-options.decorator';
import { CacheInterceptor } from './cache.interceptor';

class MessagesHandler {
  plain(): void {}

  @CacheOptions({
    namespace: 'rpc',
    key: (context) => `order:${context.switchToRpc().getData<{ id: number }>().id}`,
  })
  keyed(): void {}
}

describe('CacheInterceptor outside HTTP', () => {
  let moduleRef: TestingModule;
  let interceptor: CacheInterceptor;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['rpc'] })],
      providers: [{ provide: HttpAdapterHost, useValue: {} }],
    }).compile();
    interceptor = new CacheInterceptor(
      moduleRef.get(CacheService),
      new Reflector(),
      moduleRef.get(HttpAdapterHost),
    );
  });
  afterEach(() => moduleRef.close());

  const rpcContext = (method: 'plain' | 'keyed', data: unknown): ExecutionContextHost => {
    const context = new ExecutionContextHost(
      [data, {}],
      MessagesHandler,
      MessagesHandler.prototype[method],
    );
    context.setType('rpc');
    return context;
  };

  it('passes handlers through when no key is given', async () => {
    let calls = 0;
    const next = { handle: () => of(++calls) };
    for (let i = 0; i < 2; i++)
      await lastValueFrom(await interceptor.intercept(rpcContext('plain', { id: 1 }), next));
    expect(calls).toBe(2);
  });

  it('caches the value under the given key', async () => {
    let calls = 0;
    const next = { handle: () => of({ total: ++calls }) };
    const first = await lastValueFrom(
      await interceptor.intercept(rpcContext('keyed', { id: 7 }), next),
    );
    const second = await lastValueFrom(
      await interceptor.intercept(rpcContext('keyed', { id: 7 }), next),
    );
    const other = await lastValueFrom(
      await interceptor.intercept(rpcContext('keyed', { id: 8 }), next),
    );
    expect([first, second, other]).toEqual([{ total: 1 }, { total: 1 }, { total: 2 }]);
    expect(await moduleRef.get(CacheService).namespace('rpc').get('order:7')).toEqual({ total: 1 });
  });
});
