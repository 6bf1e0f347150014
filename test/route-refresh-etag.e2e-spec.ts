import { Controller, Get, Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { advanceDate } from './servers/advance-date';
import { eventually } from './servers/eventually';
import { rawRequest, startHttpApp } from './servers/http-app';

/*
 * A hit late in its TTL refreshes the entry in the background (refreshAhead), running the handler
 * for a request already answered with the old body. The refreshed entry must not carry what the
 * platform wrote for that old body: a hit on the new body sends the new body's ETag, or a client
 * holding the old one would be told (304) that nothing changed.
 */
let edition = 0;

@Controller('news')
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages', ttl: '1m', refreshAhead: 0.5 })
class NewsController {
  @Get()
  latest(): { edition: number } {
    return { edition: ++edition };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['pages'] })],
  controllers: [NewsController],
})
class NewsModule {}

describe.each(['express', 'fastify'] as const)('a route refreshed ahead (%s)', (platform) => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startHttpApp(NewsModule, {
      adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
    });
  });
  afterEach(async () => {
    jest.useRealTimers();
    await app.close();
  });

  it("sends the refreshed body with that body's own ETag", async () => {
    const first = await rawRequest(app, '/news');
    advanceDate(45_000);
    const late = await rawRequest(app, '/news');
    expect(late.bytes).toBe(first.bytes);
    const refreshed = await eventually(async () => {
      const hit = await rawRequest(app, '/news');
      expect(hit.bytes).not.toBe(first.bytes);
      return hit;
    });
    expect(refreshed.headers.etag).not.toBe(first.headers.etag ?? 'none');
    const revalidated = await rawRequest(app, '/news', {
      headers: { 'if-none-match': first.headers.etag ?? '"none"' },
    });
    expect(revalidated.status).toBe(200);
  });
});
