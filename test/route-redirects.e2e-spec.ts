import {
  Controller,
  Get,
  Module,
  Redirect,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { rawRequest, startHttpApp } from './servers/http-app';

/*
 * Only 2xx responses are cached. A `@Redirect()` route answers 3xx, often to a URL made for this
 * moment (a signed download link that expires): cached, every later request would be sent the
 * first one's link until the entry expired.
 */
let signed = 0;

@Controller('download')
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages', ttl: '5m' })
class DownloadController {
  @Get()
  @Redirect('/files', 302)
  download(): { url: string } {
    return { url: `/files/report.pdf?signature=${++signed}` };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['pages'] })],
  controllers: [DownloadController],
})
class DownloadModule {}

describe.each(['express', 'fastify'] as const)('a redirecting route (%s)', (platform) => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startHttpApp(DownloadModule, {
      adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
    });
  });
  afterEach(() => app.close());

  it('is never cached: each request is sent where its own run points', async () => {
    const first = await rawRequest(app, '/download');
    const second = await rawRequest(app, '/download');
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(first.headers.location).not.toBe(second.headers.location);
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual([undefined, undefined]);
  });
});
