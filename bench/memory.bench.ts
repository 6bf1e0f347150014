import { CACHE_MANAGER, CacheModule as NestCacheManagerModule } from '@nestjs/cache-manager';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Cache } from 'cache-manager';
import { LRUCache } from 'lru-cache';
import { Registry } from 'prom-client';
import { CacheModule, CacheService, getCacheToken, type NamespaceCache } from 'nest-tiered-cache';
import { floorPeer, frozenCopy } from './floors';
import { compare, type BenchRecord } from './harness';

const KEYS = 100_000;
const TTL = 3_600_000;

interface Item {
  id: number;
  name: string;
  tags: string[];
  active: boolean;
}

@Module({
  imports: [
    CacheModule.forRoot({ memory: { maxEntries: KEYS * 2 }, namespaces: ['bench'] }),
    NestCacheManagerModule.register({ ttl: TTL }),
  ],
})
class BenchModule {}

/**
 * Memory tier: NamespaceCache vs a `Map` behind `await`, BentoCache's memory store (its defaults),
 * lru-cache used directly and @nestjs/cache-manager, on the same keys and values.
 */
export async function benchMemory(): Promise<BenchRecord[]> {
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const cache = app.get<NamespaceCache<Item>>(getCacheToken('bench'));
  const manager = app.get<Cache>(CACHE_MANAGER);
  const lru = new LRUCache<string, Item>({ max: KEYS * 2, ttl: TTL });
  const copies = new LRUCache<string, Item>({ max: KEYS * 2, ttl: TTL });
  const map = new Map<string, Item>();
  const timed = new Map<string, { value: Item; expiresAt: number }>();
  const bento = new BentoCache({
    default: 'memory',
    ttl: TTL,
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: KEYS * 2 })) },
  });

  const keys = Array.from({ length: KEYS }, (_, i) => `item:${i}`);
  const missing = Array.from({ length: KEYS }, (_, i) => `missing:${i}`);
  const items = keys.map((_, i): Item => ({
    id: i,
    name: `item ${i}`,
    tags: ['a', 'b'],
    active: i % 2 === 0,
  }));
  // Each store filled on its own, as an app fills it: filled in one interleaved loop, each
  // store's entries would lie scattered among the others', and whoever reads its own entry
  // objects on a hit (rather than handing back the value) would pay for a layout no app has.
  for (let i = 0; i < KEYS; i++) await cache.set(keys[i], items[i]);
  for (let i = 0; i < KEYS; i++) await manager.set(keys[i], items[i]);
  for (let i = 0; i < KEYS; i++) lru.set(keys[i], items[i]);
  for (let i = 0; i < KEYS; i++) copies.set(keys[i], frozenCopy(items[i]));
  for (let i = 0; i < KEYS; i++) map.set(keys[i], items[i]);
  for (let i = 0; i < KEYS; i++)
    timed.set(keys[i], { value: items[i], expiresAt: Date.now() + TTL });
  for (let i = 0; i < KEYS; i++) await bento.set({ key: keys[i], value: items[i] });
  const key = (i: number): string => keys[i % KEYS];
  const item = (i: number): Item => items[i % KEYS];
  const records: BenchRecord[] = [];

  const bentoPeer = 'BentoCache memory store';

  records.push(
    ...(await compare('memory get-hit', (i) => cache.get(key(i)), {
      'await Map': async (i) => await map.get(key(i)),
      [bentoPeer]: (i) => bento.get({ key: key(i) }),
      'lru-cache': (i) => lru.get(key(i)),
      '@nestjs/cache-manager': (i) => manager.get(key(i)),
      // A hit must not serve an entry past its TTL: the clock is read on every hit.
      [floorPeer('await Map, with the expiry check of a TTL')]: async (i) => {
        const entry = await timed.get(key(i));
        return entry !== undefined && entry.expiresAt > Date.now() ? entry.value : undefined;
      },
    })),
  );
  records.push(
    ...(await compare('memory get-miss', (i) => cache.get(missing[i % KEYS]), {
      'await Map': async (i) => await map.get(missing[i % KEYS]),
      [bentoPeer]: (i) => bento.get({ key: missing[i % KEYS] }),
      'lru-cache': (i) => lru.get(missing[i % KEYS]),
      '@nestjs/cache-manager': (i) => manager.get(missing[i % KEYS]),
    })),
  );
  records.push(
    ...(await compare('memory set', (i) => cache.set(key(i), item(i)), {
      '@nestjs/cache-manager': (i) => manager.set(key(i), item(i)),
      'lru-cache': (i) => lru.set(key(i), item(i)),
      [bentoPeer]: (i) => bento.set({ key: key(i), value: item(i) }),
      'await Map': async (i) => await map.set(key(i), item(i)),
      [floorPeer('lru-cache set of a frozen copy')]: (i) => copies.set(key(i), frozenCopy(item(i))),
    })),
  );
  // Every contender is handed the loader a caller would build for the call, as a closure.
  const load = (i: number) => (): Item => item(i);
  const mapGetOrSet = async (k: string, loader: () => Item): Promise<Item> =>
    (await map.get(k)) ?? map.set(k, loader()).get(k)!;
  const lruGetOrSet = (k: string, loader: () => Item): Item =>
    lru.get(k) ?? lru.set(k, loader()).get(k)!;
  records.push(
    ...(await compare('memory getOrSet-hit', (i) => cache.getOrSet(key(i), load(i)), {
      'await Map': (i) => mapGetOrSet(key(i), load(i)),
      [bentoPeer]: (i) => bento.getOrSet({ key: key(i), factory: load(i) }),
      'lru-cache': (i) => lruGetOrSet(key(i), load(i)),
      '@nestjs/cache-manager': (i) => {
        const loader = load(i);
        return manager.wrap(key(i), async () => loader());
      },
    })),
  );
  await bento.disconnectAll();
  await app.close();
  return records;
}

@Module({
  imports: [
    CacheModule.forRoot({
      memory: { maxEntries: KEYS * 2 },
      namespaces: ['plain', 'measured'],
      metrics: { registry: new Registry() },
    }),
  ],
})
class MetricsBenchModule {}

/** What metrics cost on the hot path: get-hit and set with latency histograms on vs off. */
export async function benchMetrics(): Promise<BenchRecord[]> {
  const offApp = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const plain = offApp.get<NamespaceCache<Item>>(getCacheToken('bench'));
  const onApp = await NestFactory.createApplicationContext(MetricsBenchModule, { logger: false });
  const measured = onApp.get(CacheService).namespace<Item>('measured');
  const item: Item = { id: 1, name: 'item', tags: ['a'], active: true };
  for (let i = 0; i < 1000; i++) {
    await plain.set(`k${i}`, item);
    await measured.set(`k${i}`, item);
  }
  const records = [
    ...(await compare('metrics on, memory get-hit', (i) => measured.get(`k${i % 1000}`), {
      'the same get-hit, metrics off': (i) => plain.get(`k${i % 1000}`),
    })),
    ...(await compare('metrics on, memory set', (i) => measured.set(`k${i % 1000}`, item), {
      'the same set, metrics off': (i) => plain.set(`k${i % 1000}`, item),
    })),
  ];
  await onApp.close();
  await offApp.close();
  return records;
}
