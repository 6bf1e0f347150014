import {
  Controller,
  Get,
  Headers,
  Module,
  Param,
  Post,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CacheEvict, CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';

/*
 * The README's route caching example: the class gives namespace, ttl and tags, `mine()` adds
 * `vary`, and `create()` evicts by the class's tag. A method's `@CacheOptions` overrides the
 * class's option by option and adds to its `vary` and `tags`: `mine()` keeps the class's tag (so
 * creating a product drops every user's `mine`), and a method's `ttl` keeps the header its class
 * varies on (so one tenant is never served another's response).
 */
let version = 0;

@Controller('products')
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages', ttl: '5m', tags: ['products'] })
class ProductsController {
  @Get('mine')
  @CacheOptions({ namespace: 'pages', vary: ['Authorization'] })
  mine(): { version: number } {
    return { version };
  }

  @Get(':id')
  findOne(@Param('id') id: string): { id: string; version: number } {
    return { id, version };
  }

  @Post()
  @CacheEvict({ namespace: 'pages', tags: ['products'] })
  async create(): Promise<{ created: boolean }> {
    version++;
    return { created: true };
  }
}

/** Per-tenant data: the class varies every route on the tenant header. */
@Controller('tenant')
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages', vary: ['X-Tenant'] })
class TenantController {
  @Get('settings')
  @CacheOptions({ namespace: 'pages', ttl: '1m' })
  settings(@Headers('x-tenant') tenant: string): { tenant: string } {
    return { tenant };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['pages'] })],
  controllers: [ProductsController, TenantController],
})
class ProductsModule {}

describe('method @CacheOptions over class @CacheOptions (the README example)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ProductsModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(() => app.close());

  it('POST /products evicts the class-tagged /products/:id', async () => {
    const http = () => request(app.getHttpServer());
    expect((await http().get('/products/7')).headers['x-cache']).toBe('MISS');
    expect((await http().get('/products/7')).headers['x-cache']).toBe('HIT');
    await http().post('/products').expect(201);
    const after = await http().get('/products/7');
    expect(after.headers['x-cache']).toBe('MISS');
  });

  it('POST /products evicts the per-user /products/mine too (it carries the class tag)', async () => {
    const http = () => request(app.getHttpServer());
    const ada = { Authorization: 'Bearer ada' };
    const before = await http().get('/products/mine').set(ada);
    expect(before.headers['x-cache']).toBe('MISS');
    expect((await http().get('/products/mine').set(ada)).headers['x-cache']).toBe('HIT');
    await http().post('/products').expect(201);
    const after = await http().get('/products/mine').set(ada);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body).toEqual({ version: before.body.version + 1 });
  });

  it("a method's ttl does not drop the class's vary: one tenant never gets another's response", async () => {
    const http = () => request(app.getHttpServer());
    const acme = await http().get('/tenant/settings').set('X-Tenant', 'acme');
    expect(acme.body).toEqual({ tenant: 'acme' });
    const globex = await http().get('/tenant/settings').set('X-Tenant', 'globex');
    expect(globex.body).toEqual({ tenant: 'globex' });
  });
});
