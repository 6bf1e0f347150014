import {
  Controller,
  Get,
  Inject,
  Injectable,
  Param,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CACHE_MANAGER,
  CacheInterceptor,
  CacheKey,
  CacheModule,
  CacheTTL,
  CacheService,
  type CacheManagerCompat,
} from 'nest-tiered-cache';

@Injectable()
class LegacyService {
  constructor(@Inject(CACHE_MANAGER) readonly cache: CacheManagerCompat) {}
}

@Controller('legacy')
@UseInterceptors(CacheInterceptor)
class LegacyController {
  calls = 0;

  @Get()
  @CacheKey('legacy-list')
  @CacheTTL(30_000)
  list(): { calls: number } {
    return { calls: ++this.calls };
  }
}

/** `@nestjs/cache-manager` reads `@CacheKey` on the handler only: on a class it changes nothing. */
@Controller('legacy-items')
@UseInterceptors(CacheInterceptor)
@CacheKey('legacy-items')
class LegacyItemsController {
  @Get(':id')
  findOne(@Param('id') id: string): { id: string } {
    return { id };
  }
}

describe('switching from @nestjs/cache-manager', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot()],
      providers: [LegacyService],
      controllers: [LegacyController, LegacyItemsController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.init();
  });
  afterEach(() => app.close());

  it('injects CACHE_MANAGER with cache-manager method names over the default namespace', async () => {
    const { cache } = app.get(LegacyService);
    expect(await cache.set('a', { n: 1 }, 60_000)).toEqual({ n: 1 });
    expect(await cache.get('a')).toEqual({ n: 1 });
    expect(await cache.ttl('a')).toBeGreaterThan(Date.now());
    expect(await cache.wrap('b', async () => 'loaded', 1000)).toBe('loaded');
    expect(await cache.wrap('b', async () => 'again')).toBe('loaded');
    await cache.mset([
      { key: 'c', value: 3 },
      { key: 'd', value: 4, ttl: 500 },
    ]);
    expect(await cache.mget(['c', 'd', 'missing'])).toEqual([3, 4, undefined]);
    expect(await cache.del('c')).toBe(true);
    expect(await app.get(CacheService).namespace('http').get('a')).toEqual({ n: 1 });
    expect(await cache.clear()).toBe(true);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('reads @CacheKey and @CacheTTL on routes', async () => {
    await request(app.getHttpServer()).get('/legacy').expect(200);
    const hit = await request(app.getHttpServer()).get('/legacy?other=query').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual({ calls: 1 });
    const ttl = await app.get(CacheService).namespace('http').getTtl('legacy-list');
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('keys each route of a class that carries @CacheKey by its URL, as cache-manager did', async () => {
    await request(app.getHttpServer()).get('/legacy-items/1').expect(200, { id: '1' });
    await request(app.getHttpServer()).get('/legacy-items/2').expect(200, { id: '2' });
    expect(await app.get(CacheService).namespace('http').get('legacy-items')).toBeUndefined();
  });
});
