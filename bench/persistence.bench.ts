import { Client } from 'pg';
import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from '../test/servers/cache-app';
import { PostgresDatabase } from '../test/servers/postgres-database';
import { collectGarbage, median, QUICK, record, secondsSince, type BenchRecord } from './harness';

const ENTRIES = 100_000;
const ROUNDS = QUICK ? 1 : 3;
/** The module's default `persistence.batchSize` and page size, used by the raw peers too. */
const BATCH = 1000;
const TABLE = 'cache_storage';

const options = (url: string) => ({
  namespaces: [{ name: 'bulk', persistence: PersistenceLevel.ON_SHUTDOWN }],
  persistence: { dataSource: { type: 'postgres' as const, url }, flushInterval: '1h' as const },
  memory: { maxEntries: ENTRIES * 2 },
});

/** The rows of `cache_storage` as text, column by column, and what a raw upsert needs. */
interface Snapshot {
  columns: string[];
  types: string[];
  primaryKey: string[];
  /** `values[c][r]`: column `c` of row `r`, as text (or null). */
  values: Array<Array<string | null>>;
}

/** Reads the table's columns, their types and primary key from the catalog, and every row. */
async function snapshot(client: Client): Promise<Snapshot> {
  const columns = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [TABLE],
  );
  const primaryKey = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [TABLE],
  );
  const names = columns.rows.map((column) => column.name);
  const rows = await client.query<Array<string | null>>({
    text: `SELECT ${names.map((name) => `"${name}"::text`).join(', ')} FROM ${TABLE}`,
    rowMode: 'array',
  });
  return {
    columns: names,
    types: columns.rows.map((column) => column.type),
    primaryKey: primaryKey.rows.map((column) => column.name),
    values: names.map((_, c) => rows.rows.map((row) => row[c])),
  };
}

/**
 * The peer of the flush: the same rows upserted with `pg`, one `INSERT ... SELECT FROM unnest(...)
 * ON CONFLICT DO UPDATE` per batch of 1000, every column passed as a text array.
 */
async function rawUpsert(client: Client, rows: Snapshot): Promise<void> {
  const { columns, types, primaryKey, values } = rows;
  const list = columns.map((name) => `"${name}"`).join(', ');
  const sql = `INSERT INTO ${TABLE} (${list})
    SELECT ${columns.map((name, c) => `"${name}"::${types[c]}`).join(', ')}
    FROM unnest(${columns.map((_, c) => `$${c + 1}::text[]`).join(', ')}) AS batch(${list})
    ON CONFLICT (${primaryKey.map((name) => `"${name}"`).join(', ')}) DO UPDATE SET
    ${columns
      .filter((name) => !primaryKey.includes(name))
      .map((name) => `"${name}" = excluded."${name}"`)
      .join(', ')}`;
  const count = values[0].length;
  for (let start = 0; start < count; start += BATCH) {
    await client.query(
      sql,
      values.map((column) => column.slice(start, start + BATCH)),
    );
  }
}

/** The columns that scope a namespace's rows (`namespace`, and `prefix` when the table has it). */
function scopeOf(rows: Snapshot): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const name of ['prefix', 'namespace']) {
    const c = rows.columns.indexOf(name);
    if (c >= 0) scope[name] = rows.values[c][0] as string;
  }
  return scope;
}

/**
 * The peer of the warm start: the same unexpired rows of the namespace read with `pg` in key
 * order, 1000 a page (keyset paging), values and metadata parsed; from connecting to the last page.
 */
async function rawPagedSelect(url: string, scope: Record<string, string>): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const names = Object.keys(scope);
  const where = names.map((name, i) => `"${name}" = $${i + 4}`).join(' AND ');
  let after = '';
  let read = 0;
  try {
    for (;;) {
      const page = await client.query<{ key: string; value: unknown; metadata: unknown }>(
        `SELECT key, value, metadata, expires_at FROM ${TABLE}
         WHERE ${where} AND key > $1 AND (expires_at IS NULL OR expires_at > $2)
         ORDER BY key LIMIT $3`,
        [after, new Date(), BATCH, ...Object.values(scope)],
      );
      read += page.rows.length;
      if (page.rows.length < BATCH) return read;
      after = page.rows[page.rows.length - 1].key;
    }
  } finally {
    await client.end();
  }
}

/**
 * Flushing 100k ON_SHUTDOWN entries vs a raw batched `unnest` upsert of the same rows; warm start
 * of those 100k rows into memory vs a raw keyset-paged SELECT of them. Alternating rounds, medians.
 */
export async function benchPersistence(): Promise<BenchRecord[]> {
  const database = await PostgresDatabase.create();
  const client = new Client({ connectionString: database.url });
  const samples = {
    flush: [] as number[],
    upsert: [] as number[],
    warm: [] as number[],
    select: [] as number[],
  };
  try {
    let rows: Snapshot | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const app = await startCacheApp(options(database.url));
      if (round === 0) await client.connect();
      await client.query(`TRUNCATE ${TABLE}`);
      const bulk = app.ns('bulk');
      for (let i = 0; i < ENTRIES; i++) {
        await bulk.set(
          `item:${i}`,
          { id: i, name: `item ${i}`, updatedAt: new Date(0) },
          { ttl: '1h' },
        );
      }
      // Each timed step starts on a collected heap, as every round of `compare` does.
      collectGarbage();
      let started = process.hrtime.bigint();
      const flushed = await app.service.flush();
      samples.flush.push(ENTRIES / secondsSince(started));
      await app.close();
      if (flushed !== ENTRIES) throw new Error(`flush wrote ${flushed} of ${ENTRIES} rows`);

      rows ??= await snapshot(client);
      await client.query(`TRUNCATE ${TABLE}`);
      collectGarbage();
      started = process.hrtime.bigint();
      await rawUpsert(client, rows);
      samples.upsert.push(ENTRIES / secondsSince(started));

      collectGarbage();
      started = process.hrtime.bigint();
      const warm = await startCacheApp(options(database.url));
      samples.warm.push(ENTRIES / secondsSince(started));
      const loaded = warm.ns('bulk').stats().entries;
      await warm.close();
      if (loaded !== ENTRIES) throw new Error(`warm start loaded ${loaded} of ${ENTRIES} rows`);

      collectGarbage();
      started = process.hrtime.bigint();
      const read = await rawPagedSelect(database.url, scopeOf(rows));
      samples.select.push(ENTRIES / secondsSince(started));
      if (read !== ENTRIES) throw new Error(`the paged SELECT read ${read} of ${ENTRIES} rows`);
    }
  } finally {
    await client.end().catch(() => undefined);
    await database.drop();
  }
  return [
    record(
      'persistence flush of 100k entries to PostgreSQL (rows/s)',
      median(samples.flush),
      'pg: batched unnest upsert of the same rows',
      median(samples.upsert),
    ),
    record(
      'persistence warm start of 100k rows into memory (rows/s)',
      median(samples.warm),
      'pg: keyset-paged SELECT of the same rows',
      median(samples.select),
    ),
  ];
}
