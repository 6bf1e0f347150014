import { LRUCache } from 'lru-cache';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startCacheApp } from '../test/servers/cache-app';
import { record, type BenchRecord } from './harness';

const ENTRIES = 1_000_000;

/** A small entry, built afresh for each store so each holds only its own copy. */
const key = (i: number): string => `user:${i}`;
const value = (i: number): { id: number; name: string } => ({ id: i, name: `user ${i}` });

/** The heap's full collector (as `node --expose-gc` would expose it). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap and off-heap bytes in use after a full collection. */
function usedBytes(gc: () => void): number {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/**
 * Heap per entry for 1M small entries in the memory tier vs lru-cache holding the same entries
 * (the same bound, no TTL). The ratio is bytes over bytes: higher is worse.
 */
export async function benchHeap(): Promise<BenchRecord[]> {
  const gc = collector();

  const app = await startCacheApp({ memory: { maxEntries: ENTRIES }, namespaces: ['heap'] });
  const cache = app.ns<{ id: number; name: string }>('heap');
  let before = usedBytes(gc);
  for (let i = 0; i < ENTRIES; i++) await cache.set(key(i), value(i));
  const ours = (usedBytes(gc) - before) / ENTRIES;
  if (cache.stats().entries !== ENTRIES) throw new Error('heap: the memory tier evicted entries');
  await app.close();

  before = usedBytes(gc);
  // Kept reachable until measured; `max` preallocates its index arrays, counted as `external`.
  const lru = new LRUCache<string, { id: number; name: string }>({ max: ENTRIES });
  for (let i = 0; i < ENTRIES; i++) lru.set(key(i), value(i));
  const peer = (usedBytes(gc) - before) / ENTRIES;
  if (lru.size !== ENTRIES) throw new Error('heap: lru-cache evicted entries');

  return [
    record(
      'heap bytes per entry, 1M small entries (bytes/entry)',
      ours,
      'lru-cache holding the same entries',
      peer,
    ),
  ];
}
