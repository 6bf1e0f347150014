import { Client } from 'pg';
import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from '../test/servers/cache-app';
import { PostgresDatabase } from '../test/servers/postgres-database';
import type { BenchRecord } from './harness';

const ENTRIES = 100_000;
const PEER_ROWS = 20_000;

const options = (url: string) => ({
  namespaces: [{ name: 'bulk', persistence: PersistenceLevel.ON_SHUTDOWN }],
  persistence: { dataSource: { type: 'postgres' as const, url }, flushInterval: '1h' as const },
});

/** Flushing 100k ON_SHUTDOWN entries vs one upsert per row with `pg`; warm start of 100k rows. */
export async function benchPersistence(): Promise<BenchRecord[]> {
  const database = await PostgresDatabase.create();
  try {
    const app = await startCacheApp(options(database.url));
    const bulk = app.ns('bulk');
    for (let i = 0; i < ENTRIES; i++) {
      await bulk.set(
        `item:${i}`,
        { id: i, name: `item ${i}`, updatedAt: new Date(0) },
        { ttl: '1h' },
      );
    }
    let started = process.hrtime.bigint();
    await app.service.flush();
    const flushRate = ENTRIES / (Number(process.hrtime.bigint() - started) / 1e9);
    await app.close();

    const client = new Client({ connectionString: database.url });
    await client.connect();
    started = process.hrtime.bigint();
    for (let i = 0; i < PEER_ROWS; i++) {
      await client.query(
        `INSERT INTO cache_storage (namespace, key, value, expires_at, metadata) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
           metadata = excluded.metadata, updated_at = now()`,
        [
          'peer',
          `item:${i}`,
          JSON.stringify({ id: i, name: `item ${i}` }),
          new Date(Date.now() + 3_600_000),
          '{"persistence":"on_shutdown"}',
        ],
      );
    }
    const peerRate = PEER_ROWS / (Number(process.hrtime.bigint() - started) / 1e9);
    await client.end();

    started = process.hrtime.bigint();
    const warm = await startCacheApp({
      ...options(database.url),
      memory: { maxEntries: ENTRIES * 2 },
    });
    const loadRate = ENTRIES / (Number(process.hrtime.bigint() - started) / 1e9);
    const loaded = warm.ns('bulk').stats().entries;
    await warm.close();
    if (loaded !== ENTRIES) throw new Error(`warm start loaded ${loaded} of ${ENTRIES} entries`);

    const measuredAt = new Date().toISOString();
    return [
      {
        name: 'flush 100k ON_SHUTDOWN entries to PostgreSQL (rows/s)',
        opsPerSec: Math.round(flushRate),
        peer: 'pg: one INSERT ... ON CONFLICT per row',
        peerOpsPerSec: Math.round(peerRate),
        ratio: Number((flushRate / peerRate).toFixed(2)),
        measuredAt,
      },
      {
        name: 'warm start, 100k rows from PostgreSQL (rows/s)',
        opsPerSec: Math.round(loadRate),
        peer: 'pg: one INSERT ... ON CONFLICT per row',
        peerOpsPerSec: Math.round(peerRate),
        ratio: Number((loadRate / peerRate).toFixed(2)),
        measuredAt,
      },
    ];
  } finally {
    await database.drop();
  }
}
