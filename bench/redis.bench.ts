import KeyvRedis from '@keyv/redis';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import { CacheModule, CacheService, type NamespaceCache } from 'nest-tiered-cache';
import { RedisServer } from '../test/servers/redis-server';
import { floorPeer, frozenCopy, storedText, storedValue, timedFloor, valueKeyOf } from './floors';
import { compare, type BenchRecord } from './harness';

const KEYS = 10_000;
const HOT = 1_000;
const TTL = 3_600_000;

interface Item {
  id: number;
  name: string;
  tags: string[];
}

async function cacheApp(url: string): Promise<INestApplicationContext> {
  @Module({
    imports: [
      CacheModule.forRoot({
        prefix: 'bench',
        redis: { url, commandTimeout: '2s' },
        namespaces: [
          { name: 'remote', tiers: ['redis'] },
          { name: 'layered', tiers: ['memory', 'redis'], maxEntries: 2 * HOT },
        ],
      }),
    ],
  })
  class RedisBenchModule {}
  return NestFactory.createApplicationContext(RedisBenchModule, { logger: false });
}

/**
 * BentoCache over the same Redis: Redis only, or its L1 memory + Redis L2 + Redis bus stack. Its
 * Redis connection gets the same options as the raw ioredis peer.
 */
function bentoCache(url: string, prefix: string, layered: boolean): BentoCache<{ store: never }> {
  const { hostname, port, password } = new URL(url);
  const l2 = redisDriver({ connection: new Redis(url, { enableAutoPipelining: true }) });
  const store = layered
    ? bentostore()
        .useL1Layer(memoryDriver({ maxItems: 2 * HOT }))
        .useL2Layer(l2)
        .useBus(
          redisBusDriver({
            connection: { host: hostname, port: Number(port), password: password || undefined },
          }),
        )
    : bentostore().useL2Layer(l2);
  return new BentoCache({ default: 'store', prefix, ttl: TTL, stores: { store } });
}

/**
 * Redis tier: NamespaceCache vs raw ioredis doing the same work and BentoCache Redis-only; two
 * tiers vs BentoCache's L1 + L2 + bus and cache-manager's two stores.
 */
export async function benchRedis(): Promise<BenchRecord[]> {
  const server = process.env.REDIS_URL ? undefined : await RedisServer.start();
  const url = process.env.REDIS_URL ?? (server as RedisServer).url;
  const app = await cacheApp(url);
  const service = app.get(CacheService);
  const remote: NamespaceCache<Item> = service.namespace('remote');
  const layered: NamespaceCache<Item> = service.namespace('layered');
  const raw = new Redis(url, { enableAutoPipelining: true });
  // The floors with a deadline: the raw client's own per-command timeout, the namespace's
  // `commandTimeout`, which every call of the namespace keeps.
  const timed = new Redis(url, { enableAutoPipelining: true, commandTimeout: 2000 });
  const manager = createCache({
    stores: [
      new Keyv({ store: new LRUCache<string, NonNullable<unknown>>({ max: 2 * HOT }) }),
      new Keyv({ store: new KeyvRedis(url), namespace: 'cm' }),
    ],
    ttl: TTL,
  });
  const bentoRemote = bentoCache(url, 'bento-remote', false);
  const bentoLayered = bentoCache(url, 'bento-layered', true);

  const keys = Array.from({ length: KEYS }, (_, i) => `item:${i}`);
  const items = keys.map((_, i): Item => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] }));
  const texts = items.map((item) => JSON.stringify(item));
  // Each store filled on its own, as an app fills it (see the memory suite): in one interleaved
  // loop, each store's memory entries would lie scattered among the others'.
  for (let i = 0; i < KEYS; i++) await remote.set(keys[i], items[i]);
  for (let i = 0; i < KEYS; i++) await layered.set(keys[i], items[i]);
  for (let i = 0; i < KEYS; i++) await raw.set(`raw:${keys[i]}`, texts[i], 'PX', TTL);
  for (let i = 0; i < KEYS; i++) await manager.set(keys[i], items[i]);
  for (let i = 0; i < KEYS; i++) await bentoRemote.set({ key: keys[i], value: items[i] });
  for (let i = 0; i < KEYS; i++) await bentoLayered.set({ key: keys[i], value: items[i] });
  const key = (i: number): string => keys[i % KEYS];
  // The floors read what the namespace stored, and write beside the raw peer's keys. They name
  // a key as the namespace must, its base before the caller's key, built on each call.
  const storedKey = (i: number): string => valueKeyOf('bench', 'remote', key(i));
  // 9 reads in 10 go to a hot set that stays in memory; 1 in 10 walks the cold keys.
  const mixed = (i: number): string =>
    i % 10 === 0 ? keys[HOT + ((i / 10) % (KEYS - HOT))] : keys[i % HOT];
  const records: BenchRecord[] = [];

  for (const concurrency of [1, 50]) {
    const label = concurrency === 1 ? 'sequential' : `${concurrency} in flight`;
    records.push(
      ...(await compare(
        `redis get, ${label}`,
        (i) => remote.get(key(i)),
        {
          'raw ioredis GET + JSON.parse': async (i) =>
            JSON.parse((await raw.get(`raw:${key(i)}`)) as string) as unknown,
          'BentoCache Redis-only': (i) => bentoRemote.get({ key: key(i) }),
          [floorPeer('raw GET + entry decode and freeze')]: async (i) =>
            storedValue((await raw.get(storedKey(i))) as string),
          [timedFloor('raw GET + entry decode and freeze')]: async (i) =>
            storedValue((await timed.get(storedKey(i))) as string),
        },
        concurrency,
      )),
      ...(await compare(
        `redis set, ${label}`,
        (i) => remote.set(key(i), items[i % KEYS]),
        {
          'raw ioredis SET PX + JSON.stringify': (i) =>
            raw.set(`raw:${key(i)}`, JSON.stringify(items[i % KEYS]), 'PX', TTL),
          'BentoCache Redis-only': (i) => bentoRemote.set({ key: key(i), value: items[i % KEYS] }),
          [floorPeer('raw SET PX of the entry (frozen copy, encoded)')]: (i) =>
            raw.set(`floor:${key(i)}`, storedText(items[i % KEYS], TTL), 'PX', TTL),
          [timedFloor('raw SET PX of the entry (frozen copy, encoded)')]: (i) =>
            timed.set(`floor:${key(i)}`, storedText(items[i % KEYS], TTL), 'PX', TTL),
        },
        concurrency,
      )),
    );
  }
  // The ceiling of any two-tier cache here: a hot read costs one Map lookup, a cold one a raw
  // GET of the stored entry, decoded; against BentoCache it bounds what the ratio can reach.
  const hotValues = new Map(keys.slice(0, HOT).map((k, i) => [k, frozenCopy(items[i])]));
  records.push(
    ...(await compare('redis two tiers get, 90% memory hits', (i) => layered.get(mixed(i)), {
      'BentoCache L1 + Redis L2 + bus': (i) => bentoLayered.get({ key: mixed(i) }),
      'cache-manager (lru memory + @keyv/redis)': (i) => manager.get(mixed(i)),
      [floorPeer('a Map for the hot reads, raw GET + entry decode and freeze for the rest')]: (
        i,
      ) => {
        const k = mixed(i);
        const hot = hotValues.get(k);
        if (hot !== undefined) return hot;
        return raw
          .get(valueKeyOf('bench', 'layered', k))
          .then((text) => storedValue(text as string));
      },
    })),
  );
  const batches = Array.from({ length: 100 }, (_, b) => keys.slice(b * 100, b * 100 + 100));
  records.push(
    ...(await compare('redis getMany(100)', (i) => remote.getMany(batches[i % 100]), {
      'raw ioredis MGET + JSON.parse': async (i) =>
        // Its keys named on each call, as the get and set peers name theirs (and an app must).
        (await raw.mget(batches[i % 100].map((k) => `raw:${k}`))).map(
          (text) => JSON.parse(text as string) as unknown,
        ),
      [floorPeer('raw MGET + entry decode and freeze')]: async (i) =>
        (await raw.mget(batches[i % 100].map((k) => valueKeyOf('bench', 'remote', k)))).map(
          (text) => storedValue(text as string),
        ),
      [timedFloor('raw MGET + entry decode and freeze')]: async (i) =>
        (await timed.mget(batches[i % 100].map((k) => valueKeyOf('bench', 'remote', k)))).map(
          (text) => storedValue(text as string),
        ),
    })),
  );

  await bentoLayered.disconnectAll();
  await bentoRemote.disconnectAll();
  await manager.disconnect();
  await raw.quit();
  await timed.quit();
  await app.close();
  await server?.stop();
  return records;
}
