import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  Put,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { register } from 'prom-client';
import {
  Cacheable,
  CacheEvict,
  CacheHealthIndicator,
  CacheInterceptor,
  CacheModule,
  CacheOptions,
  InjectCache,
  NamespaceCache,
  type NamespaceOptions,
  PersistenceLevel,
} from 'nest-tiered-cache';

/** One namespace per feature: `forFeature` registers it, `@InjectCache` injects it. */
const NOTES: NamespaceOptions = {
  name: 'notes',
  ttl: '1h',
  persistence: PersistenceLevel.ON_CHANGE,
};

@Injectable()
class Catalog {
  loads = 0;

  @Cacheable({ namespace: 'products', key: (id: string) => id })
  async product(id: string): Promise<{ id: string; load: number }> {
    this.loads += 1;
    return { id, load: this.loads };
  }

  @CacheEvict({ namespace: 'products', keys: (id: string) => [id] })
  async rename(id: string): Promise<{ renamed: string }> {
    return { renamed: id };
  }
}

@Controller()
class AppController {
  constructor(
    @InjectCache('notes') private readonly notes: NamespaceCache<string>,
    @Inject(Catalog) private readonly catalog: Catalog,
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(CacheHealthIndicator) private readonly cacheHealth: CacheHealthIndicator,
  ) {}

  @Get('pages/:id')
  @UseInterceptors(CacheInterceptor)
  @CacheOptions({ namespace: 'pages', ttl: '1m' })
  page(@Param('id') id: string): { id: string; at: number } {
    return { id, at: Date.now() };
  }

  @Put('notes/:key')
  async putNote(@Param('key') key: string, @Body() body: { text: string }): Promise<{ ok: true }> {
    await this.notes.set(key, body.text);
    return { ok: true };
  }

  @Get('notes/:key')
  async getNote(@Param('key') key: string): Promise<{ text: string | null }> {
    return { text: (await this.notes.get(key)) ?? null };
  }

  @Get('products/:id')
  product(@Param('id') id: string): Promise<{ id: string; load: number }> {
    return this.catalog.product(id);
  }

  @Post('products/:id/rename')
  rename(@Param('id') id: string): Promise<{ renamed: string }> {
    return this.catalog.rename(id);
  }

  @Get('metrics')
  metrics(): Promise<string> {
    return register.metrics();
  }

  @Get('health')
  @HealthCheck()
  check(): ReturnType<HealthCheckService['check']> {
    return this.health.check([() => this.cacheHealth.isHealthy('cache')]);
  }
}

@Module({
  imports: [
    CacheModule.forRoot({
      defaultTtl: '10m',
      prefix: 'consumer',
      redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      persistence: {
        dataSource: { type: 'postgres', url: process.env.DATABASE_URL },
      },
      metrics: true,
      namespaces: [{ name: 'pages' }, { name: 'products', ttl: '5m' }],
    }),
    CacheModule.forFeature([NOTES]),
    TerminusModule,
  ],
  controllers: [AppController],
  providers: [Catalog],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log(`listening on ${await app.getUrl()}`);
