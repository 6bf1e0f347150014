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
import {
  Cacheable,
  CacheEvict,
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
  // Set to prove that an option needing a missing optional peer fails at start, naming it.
  persistence:
    process.env.PERSISTENCE === 'on_change'
      ? PersistenceLevel.ON_CHANGE
      : PersistenceLevel.MEMORY_ONLY,
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
}

@Module({
  imports: [
    CacheModule.forRoot({
      defaultTtl: '10m',
      prefix: 'consumer',
      ...(process.env.REDIS_URL !== undefined && { redis: { url: process.env.REDIS_URL } }),
      namespaces: [{ name: 'pages' }, { name: 'products', ttl: '5m' }],
    }),
    CacheModule.forFeature([NOTES]),
  ],
  controllers: [AppController],
  providers: [Catalog],
})
class AppModule {}

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log(`listening on ${await app.getUrl()}`);
