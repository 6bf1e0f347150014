import { Controller, Get, Logger, Module, Param, type ExecutionContext } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CacheInterceptor, CacheModule, CacheOptions, PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { rawRequest, startHttpApp } from './servers/http-app';
import { PostgresDatabase } from './servers/postgres-database';

/** A key a client chose: a forged line of its own, terminal escapes, and far too long. */
const FORGED =
  '\n[Nest] 1  - 01/01/2030, 0:00:00 AM     LOG [CacheRedis] Redis: connected\u001b[2J';

/**
 * What the module logs never carries a line, a terminal escape or a length of a client's making:
 * keys, tags and names it did not choose are quoted, messages kept on one line, both bounded.
 */
describe('log lines of outside text', () => {
  let logged: string[];

  beforeEach(() => {
    logged = [];
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((message: unknown, ..._rest: unknown[]) => {
          logged.push(String(message));
        });
    }
  });

  afterEach(() => jest.restoreAllMocks());

  const expectSafeLines = (mentioning: RegExp): void => {
    const lines = logged.filter((line) => mentioning.test(line));
    expect(lines).not.toEqual([]);
    for (const line of lines) {
      for (const unsafe of ['\n', '\r', '\u001b']) expect(line).not.toContain(unsafe);
      expect(line.length).toBeLessThan(1000);
    }
  };

  it('a route keyed by a path parameter: the refusal stays on one line and names what is wrong', async () => {
    @Controller('items')
    class ItemsController {
      @Get(':id')
      @CacheOptions({
        key: (context: ExecutionContext) =>
          `item:${context.switchToHttp().getRequest<{ params: { id: string } }>().params.id}`,
      })
      item(@Param('id') id: string): { id: string } {
        return { id };
      }
    }
    @Module({
      imports: [CacheModule.forRoot({ namespaces: ['default'] })],
      controllers: [ItemsController],
      providers: [{ provide: APP_INTERCEPTOR, useClass: CacheInterceptor }],
    })
    class ItemsModule {}
    const app = await startHttpApp(ItemsModule);
    try {
      const id = encodeURIComponent(FORGED + 'x'.repeat(1100));
      const response = await rawRequest(app, `/items/${id}`);
      // Served uncached: the key is over the limit.
      expect(response.status).toBe(200);
      expectSafeLines(/route served uncached/);
      // The key itself is left out: its length is what is wrong with it.
      expect(logged.find((line) => line.includes('route served uncached'))).toMatch(
        /the route key is \d+ bytes long/,
      );
    } finally {
      await app.close();
    }
  });

  it('an onInvalidate callback that throws: the key is quoted', async () => {
    const cache = await startCacheApp({ namespaces: ['a'] });
    try {
      cache.ns('a').onInvalidate('*', () => {
        throw new Error(`listener failed on ${FORGED}`);
      });
      await cache.ns('a').set(FORGED, 1);
      await cache.ns('a').delete(FORGED);
      expectSafeLines(/onInvalidate callback threw/);
    } finally {
      await cache.close();
    }
  });

  it('a persisted row skipped at warm start: its key is quoted', async () => {
    const database = await PostgresDatabase.create();
    const options = {
      namespaces: [{ name: 'rows', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: { dataSource: { type: 'postgres' as const, url: database.url } },
    };
    try {
      const first = await startCacheApp(options);
      await first.ns('rows').set(FORGED + 'y'.repeat(900), 'x');
      await first.close();
      await database.query(`UPDATE cache_storage SET metadata = '{"nothing": true}'`);
      const second = await startCacheApp(options);
      await eventually(() => expect(second.ns('rows').stats().errors).toBe(1));
      await second.close();
      expectSafeLines(/skipped a row/);
    } finally {
      await database.drop();
    }
  });
});
