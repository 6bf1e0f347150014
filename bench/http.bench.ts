import {
  CacheInterceptor as NestCacheManagerInterceptor,
  CacheModule as NestCacheManagerModule,
} from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  Module,
  UseInterceptors,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import type { BenchRecord } from './harness';

const CONNECTIONS = 10;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 4);
const ROUNDS = 3;

/** The work a real handler does: build a page of 50 records. */
function buildPage(): Array<{ id: number; name: string; tags: string[] }> {
  return Array.from({ length: 50 }, (_, id) => ({ id, name: `item ${id}`, tags: ['a', 'b'] }));
}
const CONSTANT_PAGE = buildPage();

@Controller()
class OursController {
  @Get('page')
  @UseInterceptors(CacheInterceptor)
  @CacheOptions({ ttl: '1m' })
  page(): unknown {
    return buildPage();
  }
}

@Controller()
class NestCacheManagerController {
  @Get('page')
  @UseInterceptors(NestCacheManagerInterceptor)
  page(): unknown {
    return buildPage();
  }
}

@Controller()
class NoWorkController {
  @Get('page')
  page(): unknown {
    return CONSTANT_PAGE;
  }
}

@Module({ imports: [CacheModule.forRoot({ defaultTtl: '1m' })], controllers: [OursController] })
class OursModule {}

@Module({
  imports: [NestCacheManagerModule.register({ ttl: 60_000 })],
  controllers: [NestCacheManagerController],
})
class NestCacheManagerModuleApp {}

@Module({ controllers: [NoWorkController] })
class NoWorkModule {}

/** A running app and the URL of its cached route. */
async function serve(module: Type): Promise<{ app: INestApplication; url: string }> {
  const app: INestApplication = await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `${await app.getUrl()}/page`.replace('[::1]', '127.0.0.1');
  await autocannon({ url, connections: CONNECTIONS, duration: 1 });
  return { app, url };
}

async function requestsPerSecond(url: string): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: failed requests`);
  return result.requests.average;
}

/**
 * A cached route: this interceptor vs @nestjs/cache-manager's vs a route that does no work.
 * The three apps run side by side and are measured in alternating rounds; medians are reported.
 */
export async function benchHttp(): Promise<BenchRecord[]> {
  const contenders: Record<string, Type> = {
    ours: OursModule,
    '@nestjs/cache-manager CacheInterceptor': NestCacheManagerModuleApp,
    'route doing no work, no cache': NoWorkModule,
  };
  const servers = await Promise.all(Object.values(contenders).map(serve));
  const samples = servers.map(() => [] as number[]);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { url }] of servers.entries()) samples[i].push(await requestsPerSecond(url));
    }
  } finally {
    await Promise.all(servers.map(({ app }) => app.close()));
  }
  const [ours, ...peers] = samples.map(
    (values) => [...values].sort((a, b) => a - b)[values.length >> 1],
  );
  return Object.keys(contenders)
    .slice(1)
    .map((peer, i) => ({
      name: `cached route, ${CONNECTIONS} connections (req/s)`,
      opsPerSec: Math.round(ours),
      peer,
      peerOpsPerSec: Math.round(peers[i]),
      ratio: Number((ours / peers[i]).toFixed(2)),
      measuredAt: new Date().toISOString(),
    }));
}
