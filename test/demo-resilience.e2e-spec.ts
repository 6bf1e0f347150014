import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { AppModule } from '../apps/demo/src/app.module';
import { SCHEMA_LOCK } from '../apps/demo/src/database/database-options';
import { DemoClient } from './servers/demo-client';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';

const MINUTE = 60_000;

/** The demo in this process on a throwaway PostgreSQL database, no Redis. */
async function startDemo(database: PostgresDatabase): Promise<INestApplication> {
  const server = process.env.DATABASE_URL;
  Object.assign(process.env, { DATABASE_URL: database.url, REDIS_URL: '', DIGEST_INTERVAL: '1h' });
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.listen(0, '127.0.0.1');
    return app;
  } finally {
    // Where `PostgresDatabase` creates the next throwaway database.
    if (server === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = server;
  }
}

async function connect(database: PostgresDatabase): Promise<Client> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  return client;
}

describe('the chat demo when its database is slow', () => {
  let database: PostgresDatabase;
  let app: INestApplication;
  let base: string;
  let locker: Client;

  const stats = async (namespace: string) =>
    (await new DemoClient(base).get('/cache/stats')).body[namespace];

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    app = await startDemo(database);
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    locker = await connect(database);
  }, 60_000);

  afterAll(async () => {
    jest.useRealTimers();
    await locker?.end();
    await app?.close();
    await database?.drop();
  });

  it('serves user records within grace while the users table is locked, then the fresh row', async () => {
    const anonymous = new DemoClient(base);
    expect((await anonymous.get('/users/1')).body.name).toBe('Ada Lovelace');
    // Eleven minutes later the warmed copy is past its TTL (10m), within its grace (1h).
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
      now: Date.now() + 11 * MINUTE,
      advanceTimers: true,
    });
    // A slow database: every read of users waits for this transaction.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    try {
      const before = await stats('userRecords');
      // Past the soft timeout, the stale copy; the load goes on.
      expect((await anonymous.get('/users/1')).body).toEqual({ id: 1, name: 'Ada Lovelace' });
      expect((await stats('userRecords')).staleServes).toBe(before.staleServes + 1);
      // Linus was never cached: nothing to serve, so a 503 past the hard timeout.
      const slow = await anonymous.get('/users/4');
      expect(slow.status).toBe(503);
      expect(slow.body).toMatchObject({ code: 'E_CACHE_LOADER_TIMEOUT' });
      expect(slow.headers.get('retry-after')).toBe('1');
      await locker.query("UPDATE users SET name = 'Ada King' WHERE id = 1");
    } finally {
      await locker.query('COMMIT');
    }
    // The load that went on stored the row it read once the lock was gone.
    await eventually(async () =>
      expect((await anonymous.get('/users/1')).body.name).toBe('Ada King'),
    );
    expect((await anonymous.get('/users/4')).body.name).toBe('Linus Pauling');
  }, 30_000);
});

describe('the chat demo creating its schema on PostgreSQL', () => {
  it('waits for the schema lock, so instances starting together create the tables once', async () => {
    const database = await PostgresDatabase.create();
    const holder = await connect(database);
    let app: INestApplication | undefined;
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      const starting = startDemo(database);
      // The instance waits on the lock another one holds, and has created nothing.
      await eventually(async () => {
        const waiting = await database.query<{ count: string }>(
          "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1",
          [SCHEMA_LOCK],
        );
        expect(Number(waiting[0].count)).toBe(1);
      }, 30_000);
      expect(await database.query("SELECT to_regclass('public.users') AS t")).toEqual([
        { t: null },
      ]);
      await holder.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
      app = await starting;
      expect(await database.query('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 4 }]);
    } finally {
      await holder.end();
      await app?.close();
      await database.drop();
    }
  }, 60_000);
});
