import {
  Controller,
  Get,
  Module,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule } from 'nest-tiered-cache';
import { map, type Observable } from 'rxjs';
import { rawRequest, startHttpApp } from './servers/http-app';

/** What the interceptor further out saw of each body, in order. */
const seen: Array<{ body: unknown; frozen: boolean; deeplyFrozen: boolean }> = [];

/** Further out than the cache: sees the body the cache hands on, miss or hit. */
class OuterInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body: { items?: unknown[] }) => {
        seen.push({
          body,
          frozen: Object.isFrozen(body),
          deeplyFrozen: Array.isArray(body.items) && Object.isFrozen(body.items),
        });
        return body;
      }),
    );
  }
}

/** Changes the body in place, as an interceptor further out must not. */
class MutatingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body: Record<string, unknown>) => {
        body.meta = 'added';
        return body;
      }),
    );
  }
}

@Controller()
class BodyController {
  /** The handler's own object, kept across requests (a service's state). */
  readonly state = { items: [{ id: 1 }], at: new Date(0) };

  @Get('state')
  @UseInterceptors(OuterInterceptor, CacheInterceptor)
  current(): unknown {
    return this.state;
  }

  @Get('changed')
  @UseInterceptors(MutatingInterceptor, CacheInterceptor)
  changed(): unknown {
    return { items: [] };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['http'] })],
  controllers: [BodyController],
})
class BodyModule {}

describe.each(['express', 'fastify'] as const)(
  'what interceptors further out see of a cached route (%s)',
  (platform) => {
    let app: INestApplication;

    beforeEach(async () => {
      seen.length = 0;
      app = await startHttpApp(BodyModule, {
        adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
      });
    });
    afterEach(() => app.close());

    it("hands on the stored form on a miss as on a hit, and leaves the handler's object as it was", async () => {
      const miss = await rawRequest(app, '/state');
      const hit = await rawRequest(app, '/state');
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      expect(hit.bytes).toEqual(miss.bytes);
      const state = app.get(BodyController).state;
      expect(seen).toHaveLength(2);
      for (const { body, frozen, deeplyFrozen } of seen) {
        expect(body).not.toBe(state);
        expect(body).toEqual(state);
        expect([frozen, deeplyFrozen]).toEqual([true, true]);
      }
      // The handler's object is not the cache's to freeze: its service may change it later.
      expect(Object.isFrozen(state)).toBe(false);
      expect(Object.isFrozen(state.items)).toBe(false);
    });

    it('fails an in-place change further out on the first request, not only once cached', async () => {
      const miss = await rawRequest(app, '/changed');
      const hit = await rawRequest(app, '/changed');
      expect([miss.status, hit.status]).toEqual([500, 500]);
    });
  },
);
