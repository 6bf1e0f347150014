import {
  CacheInterceptor as NestCacheManagerInterceptor,
  CacheModule as NestCacheManagerModule,
} from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  Header,
  Injectable,
  Module,
  type NestInterceptor,
  UseInterceptors,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import { of, type Observable } from 'rxjs';
import { createHash } from 'node:crypto';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { floorPeer } from './floors';
import { median, QUICK, record, type BenchRecord } from './harness';

const CONNECTIONS = 10;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? (QUICK ? 1 : 4));
const ROUNDS = QUICK ? 1 : 5;
/**
 * The load generator runs in a thread of its own: on the servers' own event loop it would take
 * a share of every request's CPU, and each difference between the servers would shrink by it.
 */
const LOAD_THREADS = 1;
const PLATFORMS = ['Express', 'Fastify'] as const;
type Platform = (typeof PLATFORMS)[number];

/** The work a real handler does: build a page of 50 records. */
function buildPage(): Array<{ id: number; name: string; tags: string[] }> {
  return Array.from({ length: 50 }, (_, id) => ({ id, name: `item ${id}`, tags: ['a', 'b'] }));
}
const CONSTANT_PAGE = buildPage();
/** The page as a hit sends it: its JSON, written once, and that text's ETag (as Express's). */
const PAGE_TEXT = JSON.stringify(CONSTANT_PAGE);
const PAGE_ETAG = `W/"${Buffer.byteLength(PAGE_TEXT).toString(16)}-${createHash('sha1')
  .update(PAGE_TEXT, 'utf8')
  .digest('base64')
  .substring(0, 27)}"`;

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

/**
 * Answers every call with the stored JSON text, never running the handler: what a hit of any
 * interceptor-based cache does at least, with no lookup, no key and no headers of its own.
 */
@Injectable()
class StoredTextInterceptor implements NestInterceptor {
  intercept(): Observable<string> {
    return of(PAGE_TEXT);
  }
}

/**
 * The floor of a cached route: Nest's interceptor pipeline answering with the stored JSON text
 * and its ETag (set with the content type as the route's headers), without serializing or
 * hashing. No interceptor-based cache's hit can cost less.
 */
@Controller()
class StoredTextController {
  @Get('page')
  @UseInterceptors(StoredTextInterceptor)
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('ETag', PAGE_ETAG)
  page(): unknown {
    return buildPage();
  }
}

@Module({ controllers: [StoredTextController] })
class StoredTextModule {}

@Module({ imports: [CacheModule.forRoot({ defaultTtl: '1m' })], controllers: [OursController] })
class OursModule {}

@Module({
  imports: [NestCacheManagerModule.register({ ttl: 60_000 })],
  controllers: [NestCacheManagerController],
})
class NestCacheManagerModuleApp {}

@Module({ controllers: [NoWorkController] })
class NoWorkModule {}

/** A running app on `platform` and the URL of its cached route, warmed up. */
async function serve(
  module: Type,
  platform: Platform,
): Promise<{ app: INestApplication; url: string }> {
  const app: INestApplication =
    platform === 'Fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `${await app.getUrl()}/page`.replace('[::1]', '127.0.0.1');
  await autocannon({ url, connections: CONNECTIONS, duration: 1, workers: LOAD_THREADS });
  // Measuring misses would say nothing: this module's route must answer from the cache by now.
  const cache = (await fetch(url)).headers.get('x-cache');
  if (module === OursModule && cache !== 'HIT') throw new Error(`${platform}: X-Cache ${cache}`);
  return { app, url };
}

async function requestsPerSecond(url: string): Promise<number> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    workers: LOAD_THREADS,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: failed requests`);
  return result.requests.average;
}

const PEERS: Record<string, Type> = {
  '@nestjs/cache-manager CacheInterceptor': NestCacheManagerModuleApp,
  'the same route doing no work, uncached': NoWorkModule,
  [floorPeer('an interceptor answering the stored JSON text and its ETag, no lookup')]:
    StoredTextModule,
};

/**
 * A cached route on Express and on Fastify: this interceptor vs @nestjs/cache-manager's vs a
 * route that does no work. The six apps run side by side and are measured in alternating rounds;
 * medians are reported.
 */
export async function benchHttp(): Promise<BenchRecord[]> {
  const contenders = PLATFORMS.flatMap((platform) =>
    [OursModule, ...Object.values(PEERS)].map((module) => ({ platform, module })),
  );
  const servers: Array<{ app: INestApplication; url: string }> = [];
  const samples = contenders.map(() => [] as number[]);
  try {
    for (const { module, platform } of contenders) servers.push(await serve(module, platform));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { url }] of servers.entries()) samples[i].push(await requestsPerSecond(url));
    }
  } finally {
    await Promise.all(servers.map(({ app }) => app.close()));
  }
  const rates = samples.map(median);
  const perPlatform = 1 + Object.keys(PEERS).length;
  return PLATFORMS.flatMap((platform, p) => {
    const [ours, ...peers] = rates.slice(p * perPlatform, (p + 1) * perPlatform);
    return Object.keys(PEERS).map((peer, i) =>
      record(
        `http cached route, ${platform}, ${CONNECTIONS} connections (req/s)`,
        ours,
        peer,
        peers[i],
      ),
    );
  });
}
