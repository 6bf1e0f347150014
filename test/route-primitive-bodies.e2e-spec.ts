import { Controller, Get, Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule } from 'nest-tiered-cache';
import { rawRequest, startHttpApp } from './servers/http-app';

/** A value whose toJSON gives a primitive, as Decimal, Luxon's DateTime or Moment do. */
class Money {
  constructor(private readonly cents: number) {}
  toJSON(): string {
    return (this.cents / 100).toFixed(2);
  }
}

@Controller()
@UseInterceptors(CacheInterceptor)
class BodiesController {
  /** A boxed number: JSON writes it as its primitive. */
  @Get('count')
  count(): unknown {
    return new Number(5);
  }

  @Get('price')
  price(): unknown {
    return new Money(1250);
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['http'] })],
  controllers: [BodiesController],
})
class BodiesModule {}

/**
 * A handler's top-level body that JSON writes as a primitive (a boxed primitive, a toJSON that
 * gives one) is sent as JSON on the miss, but would be stored as the primitive, which the
 * platform sends as text: such a route is served uncached, so every answer is the miss's.
 */
describe.each(['express', 'fastify'] as const)(
  'a route whose body JSON writes as a primitive (%s)',
  (platform) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await startHttpApp(
        BodiesModule,
        platform === 'fastify' ? { adapter: new FastifyAdapter() } : {},
      );
    });
    afterAll(async () => {
      await app.close();
    });

    it.each(['/count', '/price'])(
      '%s: is served uncached, each answer with the bytes and content type of the first',
      async (path) => {
        const first = await rawRequest(app, path);
        const again = await rawRequest(app, path);
        expect(first.headers['content-type']).toMatch(/^application\/json/);
        expect(again.headers['x-cache']).toBeUndefined();
        expect({ type: again.headers['content-type'], bytes: again.bytes }).toEqual({
          type: first.headers['content-type'],
          bytes: first.bytes,
        });
      },
    );
  },
);
