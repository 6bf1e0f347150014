import {
  Controller,
  Get,
  Injectable,
  Module,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { tap, type Observable } from 'rxjs';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { rawRequest, startHttpApp } from './servers/http-app';

/**
 * Names the download once the handler has answered, as an interceptor inside the cache (closer
 * to the handler) or a handler holding the response may: headers set while the response is made.
 */
@Injectable()
class NamesTheDownload implements NestInterceptor {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response: unknown = context.switchToHttp().getResponse();
    return next.handle().pipe(
      tap(() => {
        const adapter = this.adapterHost.httpAdapter;
        adapter.setHeader(response, 'Content-Disposition', 'attachment; filename="report.json"');
        adapter.setHeader(response, 'Content-Language', 'fr');
      }),
    );
  }
}

@Controller('report')
@UseInterceptors(CacheInterceptor, NamesTheDownload)
@CacheOptions({ namespace: 'pages' })
class ReportController {
  @Get()
  report(): { rows: number[] } {
    return { rows: [1, 2] };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['pages'] })],
  controllers: [ReportController],
  providers: [NamesTheDownload],
})
class ReportModule {}

describe.each(['express', 'fastify'] as const)(
  'headers set as a route answers (%s)',
  (platform) => {
    let app: INestApplication;

    beforeEach(async () => {
      app = await startHttpApp(ReportModule, {
        adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
      });
    });
    afterEach(() => app.close());

    it('come back on a hit as the miss sent them', async () => {
      const miss = await rawRequest(app, '/report');
      const hit = await rawRequest(app, '/report');
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      for (const response of [miss, hit]) {
        expect(response.headers['content-disposition']).toBe('attachment; filename="report.json"');
        expect(response.headers['content-language']).toBe('fr');
      }
      expect(hit.bytes).toBe(miss.bytes);
    });
  },
);
