import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CacheHealthIndicator, CacheModule } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: CacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<unknown> {
    return this.health.check([() => this.cache.isHealthy('cache', 1000)]);
  }
}

describe('cache health through @nestjs/terminus', () => {
  it('is up with Redis up, down with Redis down, and up again when it returns', async () => {
    const redis = await RedisServer.start();
    @Module({
      imports: [
        TerminusModule,
        CacheModule.forRoot({ redis: { url: redis.url, retryAfter: '100ms' }, namespaces: ['a'] }),
      ],
      controllers: [HealthController],
    })
    class HealthAppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [HealthAppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.init();
    try {
      // The bus subscribes in the background at start: wait until everything reports in.
      const up = await eventually(() => request(app.getHttpServer()).get('/health').expect(200));
      expect(up.body.info.cache).toMatchObject({
        status: 'up',
        memory: { healthy: true },
        redis: { ping: { ok: true }, bus: { connected: true } },
        persistence: { healthy: true },
      });
      await redis.kill();
      const down = await request(app.getHttpServer()).get('/health').expect(503);
      expect(down.body.error.cache).toMatchObject({
        status: 'down',
        redis: { ping: { ok: false } },
      });
      await redis.restart();
      await eventually(async () => {
        await request(app.getHttpServer()).get('/health').expect(200);
      });
    } finally {
      await app.close();
      await redis.stop();
    }
  }, 30_000);

  it('answers within its timeout with Redis frozen, reporting Redis itself unhealthy', async () => {
    const redis = await RedisServer.start();
    const cache = await startCacheApp({ redis: { url: redis.url }, namespaces: ['a'] });
    try {
      await eventually(async () => expect((await cache.service.health(1000)).status).toBe('up'));
      redis.pause();
      const frozen = await cache.service.health(300);
      expect(frozen).toMatchObject({
        status: 'down',
        redis: { healthy: false, ping: { ok: false, error: 'no answer within 300ms' } },
      });
      redis.resume();
      await eventually(async () =>
        expect((await cache.service.health(1000)).redis).toMatchObject({
          healthy: true,
          ping: { ok: true },
        }),
      );
    } finally {
      redis.resume();
      await cache.close();
      await redis.stop();
    }
  }, 30_000);
});
