import { Client } from 'pg';
import { DemoClient } from './servers/demo-client';
import { servesTheOtherInstancesWrites } from './servers/demo-cluster-cases';
import { DemoProcess } from './servers/demo-process';
import { eventually } from './servers/eventually';
import { clearOfMinuteBoundary } from './servers/minute-boundary';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/**
 * Two processes of the chat demo over one real Redis and one real PostgreSQL, both started by
 * the test: what one instance writes, the other serves; limits and jobs hold across both.
 */
describe('two demo instances over Redis and PostgreSQL', () => {
  let redis: RedisServer;
  let database: PostgresDatabase;
  let a: DemoProcess;
  let b: DemoProcess;

  const start = (name: string): Promise<DemoProcess> =>
    DemoProcess.start({
      REDIS_URL: redis.url,
      DATABASE_URL: database.url,
      RATE_LIMIT_PER_MINUTE: '5',
      DIGEST_INTERVAL: '1h',
      INSTANCE_NAME: name,
    });

  beforeAll(async () => {
    redis = await RedisServer.start();
    database = await PostgresDatabase.create();
    // Together, so that both try to seed the empty database at once.
    [a, b] = await Promise.all([start('a'), start('b')]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGTERM'), b?.stop('SIGTERM')]);
    await redis?.stop();
    await database?.drop();
  }, 60_000);

  it('seeds the database once, though both instances started on it together', async () => {
    const users = await database.query<{ email: string }>('SELECT email FROM users ORDER BY id');
    expect(users.map((user) => user.email)).toEqual([
      'ada@example.com',
      'alan@example.com',
      'grace@example.com',
      'linus@example.com',
    ]);
  });

  it('accepts on one instance a session opened on the other', async () => {
    const ada = await DemoClient.login(a.url, 'ada@example.com');
    const me = await ada.on(b.url).get('/me');
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe('ada@example.com');
  });

  it('stays coherent: a rename, chat settings and new messages on one are served by the other', async () => {
    await servesTheOtherInstancesWrites(a, b, 1);
  });

  it('refuses on one instance a session ended or a membership left on the other', async () => {
    const alan = await DemoClient.login(a.url, 'alan@example.com');
    expect((await alan.on(b.url).get('/chats/1/messages')).status).toBe(200);
    expect((await alan.post('/chats/1/leave')).status).toBe(200);
    await eventually(async () =>
      expect((await alan.on(b.url).get('/chats/1/messages')).status).toBe(403),
    );
    expect((await alan.on(b.url).post('/chats/1/join')).status).toBe(200);
    expect((await alan.get('/chats/1/messages')).status).toBe(200);
    expect((await alan.on(b.url).get('/me')).status).toBe(200);
    expect((await alan.post('/auth/logout')).status).toBe(204);
    await eventually(async () => expect((await alan.on(b.url).get('/me')).status).toBe(401));
  });

  it('holds the rate limit across instances', async () => {
    await clearOfMinuteBoundary();
    const grace = await DemoClient.login(a.url, 'grace@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const instance = i % 2 ? b.url : a.url;
      statuses.push((await grace.on(instance).post('/chats/1/messages', { text: `n${i}` })).status);
    }
    // The earlier test's post counted too: 5 per minute in all, whichever instance answers.
    expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(5);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  }, 30_000);

  it('runs the digest on exactly one instance per window', async () => {
    const runs = await Promise.all([
      new DemoClient(a.url).post('/jobs/digest'),
      new DemoClient(b.url).post('/jobs/digest'),
    ]);
    expect(runs.map((run) => run.body.ran).sort()).toEqual([false, true]);
    const winner = runs.find((run) => run.body.ran)?.body.instance;
    const seen = await new DemoClient(b.url).get('/jobs/digest');
    expect(seen.body.latest).toMatchObject({ ranBy: winner, window: runs[0].body.window });
  });

  it('loads a missing chat header on one instance only, the other waiting for it (lock)', async () => {
    // A chat no instance has cached: written straight to the database.
    const [chat] = await database.query<{ id: number }>(
      'INSERT INTO chats (title, "createdBy") VALUES (\'locks\', 1) RETURNING id',
    );
    await database.query(
      'INSERT INTO chat_members ("chatId", "userId", role) VALUES ($1, 1, \'owner\')',
      [chat.id],
    );
    const ada = await DemoClient.login(a.url, 'ada@example.com');
    const chatStats = async (url: string) =>
      (await new DemoClient(url).get('/cache/stats')).body.chats as {
        misses: number;
        loaderCalls: number;
      };
    const [beforeA, beforeB] = [await chatStats(a.url), await chatStats(b.url)];
    // A slow database: the header's counts wait for this transaction.
    const locker = new Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE messages IN ACCESS EXCLUSIVE MODE');
      const reads = [a.url, b.url].map((url) => ada.on(url).get(`/chats/${chat.id}`));
      // Both instances missed the header (and its settings); one loader (two queries) waits.
      await eventually(async () => {
        expect((await chatStats(a.url)).misses).toBeGreaterThanOrEqual(beforeA.misses + 2);
        expect((await chatStats(b.url)).misses).toBeGreaterThanOrEqual(beforeB.misses + 2);
        const [waiting] = await database.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'messages'::regclass AND NOT granted",
        );
        expect(waiting.n).toBe(2);
      }, 10_000);
      await locker.query('COMMIT');
      const headers = await Promise.all(reads);
      expect(headers.map((read) => read.body.info)).toEqual([
        expect.objectContaining({ id: chat.id, title: 'locks', members: 1, messages: 0 }),
        expect.objectContaining({ id: chat.id, title: 'locks', members: 1, messages: 0 }),
      ]);
    } finally {
      await locker.end();
    }
    const loads =
      (await chatStats(a.url)).loaderCalls -
      beforeA.loaderCalls +
      (await chatStats(b.url)).loaderCalls -
      beforeB.loaderCalls;
    expect(loads).toBe(1);
  }, 60_000);

  it('keeps persisted namespaces across a restart, even with Redis emptied', async () => {
    const ada = await DemoClient.login(a.url, 'ada@example.com');
    expect((await ada.patch('/chats/1/settings', { topic: 'kept' })).status).toBe(200);
    await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]);
    const rows = await database.query<{ namespace: string; key: string }>(
      "SELECT namespace, key FROM cache_storage WHERE namespace IN ('session', 'chats') ORDER BY namespace, key",
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { namespace: 'chats', key: 'settings:1' },
        { namespace: 'session', key: ada.token },
      ]),
    );
    // Nothing left in Redis: whatever comes back, comes from PostgreSQL.
    await redis.kill();
    await redis.restart();
    a = await start('a');
    const me = await ada.on(a.url).get('/me');
    expect(me.status).toBe(200);
    expect((await ada.on(a.url).get('/chats/1')).body.settings.topic).toBe('kept');
    b = await start('b');
    expect((await ada.on(b.url).get('/me')).status).toBe(200);
  }, 120_000);
});
