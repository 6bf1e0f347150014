import { Controller, Get, Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule } from 'nest-tiered-cache';
import { rawRequest, startHttpApp } from './servers/http-app';

@Controller()
@UseInterceptors(CacheInterceptor)
class NullBodyController {
  runs = 0;

  /** `null` is a value (as in `get`): a route answering it is cached like any other. */
  @Get('nothing')
  nothing(): null {
    this.runs++;
    return null;
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['http'] })],
  controllers: [NullBodyController],
})
class NullBodyModule {}

describe.each(['express', 'fastify'] as const)('a route answering null (%s)', (platform) => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startHttpApp(NullBodyModule, {
      adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
    });
  });
  afterEach(() => app.close());

  it('is stored once and served from the cache, as the miss sent it', async () => {
    const miss = await rawRequest(app, '/nothing');
    const hit = await rawRequest(app, '/nothing');
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect([hit.status, hit.bytes]).toEqual([miss.status, miss.bytes]);
    expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
    expect(app.get(NullBodyController).runs).toBe(1);
  });
});
