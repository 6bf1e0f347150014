import { Controller, Get, Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { runInNewContext } from 'node:vm';
import { CacheInterceptor, CacheModule } from 'nest-tiered-cache';
import { rawRequest, startHttpApp } from './servers/http-app';

/** A value whose toJSON gives a string, as Decimal, Luxon's DateTime or Moment do. */
class Money {
  constructor(private readonly cents: number) {}
  toJSON(): string {
    return (this.cents / 100).toFixed(2);
  }
}

/** A toJSON that gives a boxed string: JSON writes it as the bare string "12.50". */
class BoxedMoney {
  toJSON(): unknown {
    return new String('12.50');
  }
}

/** A toJSON that gives a Date: JSON calls toJSON once, so it writes the Date as {}. */
class Stamp {
  toJSON(): unknown {
    return new Date(0);
  }
}

@Controller()
@UseInterceptors(CacheInterceptor)
class JsonBodiesController {
  /** A boxed number: JSON writes it as its primitive. */
  @Get('count')
  count(): unknown {
    return new Number(5);
  }

  @Get('price')
  price(): unknown {
    return new Money(1250);
  }

  @Get('boxed-money')
  boxedMoney(): unknown {
    return new BoxedMoney();
  }

  /** A boxed number made in another realm (vm): JSON writes it as 5. */
  @Get('foreign-number')
  foreignNumber(): unknown {
    return runInNewContext('new Number(5)');
  }

  /** An array with its own toJSON: JSON writes what toJSON returns, {"total":2}. */
  @Get('array-with-tojson')
  arrayWithToJson(): unknown {
    return Object.assign([1, 2], { toJSON: () => ({ total: 2 }) });
  }

  @Get('stamp')
  stamp(): unknown {
    return new Stamp();
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['http'] })],
  controllers: [JsonBodiesController],
})
class JsonBodiesModule {}

/**
 * A handler's top-level body that JSON writes otherwise than the cache gives it back (a boxed
 * primitive of any realm, a toJSON returning a primitive, a box or a Date, an array with its own
 * toJSON) would be sent on a hit as text, or as other JSON: such a route is served uncached, so
 * every answer is the first one's.
 */
describe.each(['express', 'fastify'] as const)(
  'a route whose body JSON writes otherwise than the cache stores it (%s)',
  (platform) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await startHttpApp(
        JsonBodiesModule,
        platform === 'fastify' ? { adapter: new FastifyAdapter() } : {},
      );
    });
    afterAll(async () => {
      await app.close();
    });

    it.each([
      '/count',
      '/price',
      '/boxed-money',
      '/foreign-number',
      '/stamp',
      '/array-with-tojson',
    ])(
      '%s: is served uncached, each answer with the bytes and content type of the first',
      async (path) => {
        const first = await rawRequest(app, path);
        const again = await rawRequest(app, path);
        expect(first.headers['content-type']).toMatch(/^application\/json/);
        expect(again.headers['x-cache']).toBeUndefined();
        expect({ type: again.headers['content-type'], bytes: again.bytes.toString() }).toEqual({
          type: first.headers['content-type'],
          bytes: first.bytes.toString(),
        });
      },
    );
  },
);
