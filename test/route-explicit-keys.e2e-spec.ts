import {
  Controller,
  Get,
  Module,
  Query,
  UseInterceptors,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { rawRequest, startHttpApp, utf8Text } from './servers/http-app';

/** The `id` query parameter as the request carries it: a string, or a list when repeated. */
const idOf = (context: ExecutionContext): string =>
  context.switchToHttp().getRequest<{ query: { id: string } }>().query.id;

/*
 * A key function is typed to return a string, but what it reads from the request is often
 * untyped: `?id=a&id=b` gives a list. A key that is not a string is never made one (the list
 * would have the key of `?id=a,b`): the request runs uncached, whatever the route varies on.
 */
@Controller('tenant-items')
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages', vary: ['X-Tenant'], key: idOf })
class TenantItemsController {
  @Get()
  find(@Query('id') id: unknown): { id: unknown } {
    return { id };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['pages'] })],
  controllers: [TenantItemsController],
})
class TenantItemsModule {}

describe.each(['express', 'fastify'] as const)('explicit route keys (%s)', (platform) => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startHttpApp(TenantItemsModule, {
      adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
    });
  });
  afterEach(() => app.close());

  const idServed = async (path: string): Promise<unknown> => {
    const response = await rawRequest(app, path, { headers: { 'x-tenant': 'acme' } });
    return (JSON.parse(utf8Text(response)) as { id: unknown }).id;
  };

  it('never turns a key that is not a string into one another request shares', async () => {
    expect(await idServed('/tenant-items?id=a&id=b')).toEqual(['a', 'b']);
    expect(await idServed('/tenant-items?id=a,b')).toBe('a,b');
    expect(await idServed('/tenant-items?id=a&id=b')).toEqual(['a', 'b']);
  });
});
