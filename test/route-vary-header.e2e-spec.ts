import { Controller, Get, Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { rawRequest, startHttpApp } from './servers/http-app';

/*
 * A route cached per user tells shared caches so with `Vary`. Middleware before it may have
 * named headers there already (CORS names `Origin`): both lists go out, on a miss as on a hit,
 * or a CDN would serve one origin's CORS answer to another.
 */
@Controller('profile')
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages', vary: ['Authorization'] })
class ProfileController {
  @Get()
  profile(): { name: string } {
    return { name: 'Ada' };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['pages'] })],
  controllers: [ProfileController],
})
class ProfileModule {}

/** The header names of a `Vary` value, lower case. */
function varied(value: string | string[] | undefined): string[] {
  return [value ?? []]
    .flat()
    .flatMap((line) => line.split(','))
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0)
    .sort();
}

describe.each(['express', 'fastify'] as const)(
  'the Vary header of a cached route (%s)',
  (platform) => {
    let app: INestApplication;

    beforeEach(async () => {
      app = await startHttpApp(ProfileModule, {
        adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
        prepare: (created) => created.enableCors({ origin: true }),
      });
    });
    afterEach(() => app.close());

    it("keeps the names middleware put there, beside the route's own, miss and hit", async () => {
      const headers = { authorization: 'Bearer ada', origin: 'https://a.example' };
      const miss = await rawRequest(app, '/profile', { headers });
      const hit = await rawRequest(app, '/profile', { headers });
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      expect(varied(miss.headers.vary)).toEqual(['authorization', 'origin']);
      expect(varied(hit.headers.vary)).toEqual(['authorization', 'origin']);
    });
  },
);
