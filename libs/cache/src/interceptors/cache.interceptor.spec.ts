import {
  HttpCode,
  Next,
  Redirect,
  Res,
  Sse,
  Version,
  VERSION_NEUTRAL,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { lastValueFrom, of } from 'rxjs';
import { CacheModule } from '../cache.module';
import { CacheService } from '../cache.service';
import { CacheOptions } from '../decorators/cache-options.decorator';
import { CacheInterceptor } from './cache.interceptor';
import {
  HTTP_CODE_METADATA,
  NEXT_PARAM,
  REDIRECT_METADATA,
  RESPONSE_PARAM,
  ROUTE_ARGS_METADATA,
  routeVersion,
  SSE_METADATA,
} from './nest-metadata';

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

  // The interface as Nest hands it to interceptors of a microservice handler.
  const rpcContext = (method: 'plain' | 'keyed', data: unknown): ExecutionContext => {
    const unused = (): never => {
      throw new Error('not an HTTP or WebSocket call');
    };
    return {
      getType: <T extends string>() => 'rpc' as T,
      getClass: <T>() => MessagesHandler as T,
      getHandler: () => MessagesHandler.prototype[method],
      getArgs: <T extends unknown[]>() => [data, {}] as T,
      getArgByIndex: <T>(index: number) => [data, {}][index] as T,
      switchToRpc: () => ({ getData: <T>() => data as T, getContext: <T>() => ({}) as T }),
      switchToHttp: unused,
      switchToWs: unused,
    };
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

describe('the Nest metadata CacheInterceptor reads', () => {
  class Routes {
    @HttpCode(203)
    created(): void {}

    @Sse()
    stream(): void {}

    @Redirect('/elsewhere', 301)
    moved(): void {}

    raw(@Res() _response: unknown, @Next() _next: unknown): void {}

    @Version(['2', '1'])
    versioned(): void {}

    @Version(VERSION_NEUTRAL)
    neutral(): void {}
  }

  it('has the keys and values the public decorators write', () => {
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, Routes.prototype.created)).toBe(203);
    expect(Reflect.getMetadata(SSE_METADATA, Routes.prototype.stream)).toBe(true);
    expect(Reflect.getMetadata(REDIRECT_METADATA, Routes.prototype.moved)).toEqual({
      url: '/elsewhere',
      statusCode: 301,
    });
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Routes, 'raw') as Record<
      string,
      { index: number }
    >;
    const types = Object.entries(args).map(([key, { index }]) => [
      Number(key.split(':')[0]),
      index,
    ]);
    expect(types).toEqual(
      expect.arrayContaining([
        [RESPONSE_PARAM, 0],
        [NEXT_PARAM, 1],
      ]),
    );
    expect(routeVersion(Routes, Routes.prototype.versioned)).toBe('1,2');
    expect(routeVersion(Routes, Routes.prototype.neutral)).toBe('(VERSION_NEUTRAL)');
    expect(routeVersion(Routes, Routes.prototype.created)).toBeUndefined();
  });
});
