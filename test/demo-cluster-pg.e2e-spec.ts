import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DemoClient } from './servers/demo-client';
import { servesTheOtherInstancesWrites } from './servers/demo-cluster-cases';
import { DemoEventStream } from './servers/demo-events';
import { DemoProcess } from './servers/demo-process';
import { eventually } from './servers/eventually';
import { clearOfMinuteBoundary } from './servers/minute-boundary';
import { PostgresDatabase } from './servers/postgres-database';

/** The README's walkthrough of this mode: the block after `<!-- demo-two-pg-walkthrough -->`. */
function walkthrough(): string {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /<!-- demo-two-pg-walkthrough -->\n```bash\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no walkthrough of npm run start:two:pg');
  return block[1];
}

/**
 * Two processes of the chat demo on one real PostgreSQL and no Redis, as `npm run start:two:pg`
 * runs them: the namespaces live in memory in front of the cache table, and the bus over
 * LISTEN/NOTIFY keeps the two memories coherent. What the README's walkthrough of that mode
 * shows, checked here.
 */
describe('two demo instances on PostgreSQL alone', () => {
  let database: PostgresDatabase;
  let a: DemoProcess;
  let b: DemoProcess;

  const start = (name: string): Promise<DemoProcess> =>
    DemoProcess.start({
      DATABASE_URL: database.url,
      RATE_LIMIT_PER_MINUTE: '5',
      DIGEST_INTERVAL: '1h',
      INSTANCE_NAME: name,
    });

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    // One after the other (the Redis spec starts them together), so that B never hears A first
    // within a second of its start: no gap is counted, and every fresh read below comes from a
    // key dropped by a message, not from memory cleared on a gap.
    a = await start('a');
    b = await start('b');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGTERM'), b?.stop('SIGTERM')]);
    await database?.drop();
  }, 60_000);

  it('runs the bus over PostgreSQL on both, connected, reported by health and info', async () => {
    for (const instance of [a, b]) {
      const health = await new DemoClient(instance.url).get('/cache/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({
        status: 'up',
        bus: { transport: 'postgres', connected: true, gaps: 0 },
      });
      const info = await new DemoClient(instance.url).get('/cache/info');
      expect(info.body.backends.bus).toMatchObject({ transport: 'postgres', connected: true });
      expect(info.body.backends.redis).toBeUndefined();
    }
  });

  it("runs the README's walkthrough as written: a write on one is served fresh by the other", async () => {
    const script = walkthrough()
      .replaceAll('localhost:3001', new URL(a.url).host)
      .replaceAll('localhost:3002', new URL(b.url).host);
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      timeout: 60_000,
    });
    const answers = stdout.trim().split('\n');
    // The session, two reads of Ada and two of chat 1 on 3002, both writes on 3001, then 3002
    // again: the new name and topic, and its bus.
    expect(answers).toHaveLength(10);
    expect(JSON.parse(answers[0]).user.email).toBe('ada@example.com');
    const [firstAda, secondAda, firstChat, secondChat] = answers
      .slice(1, 5)
      .map((line) => JSON.parse(line));
    expect([firstAda.name, secondAda.name]).toEqual(['Ada Lovelace', 'Ada Lovelace']);
    expect([firstChat.settings.topic, secondChat.settings.topic]).toEqual(['', '']);
    expect(JSON.parse(answers[7]).name).toBe('Ada King');
    expect(JSON.parse(answers[8]).settings.topic).toBe('looms');
    expect(JSON.parse(answers[9])).toMatchObject({
      status: 'up',
      bus: { transport: 'postgres', connected: true, gaps: 0 },
    });
  });

  it('accepts on one instance a session opened on the other', async () => {
    const ada = await DemoClient.login(a.url, 'ada@example.com');
    const me = await ada.on(b.url).get('/me');
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe('ada@example.com');
  });

  it('serves on one instance, fresh, a rename, chat settings and a message written on the other', async () => {
    await servesTheOtherInstancesWrites(a, b, 2);
    // Nothing was missed on the way.
    const bus = (await new DemoClient(b.url).get('/cache/info')).body.backends.bus;
    expect(bus.gaps).toBe(0);
  });

  it('pushes to a client of one instance a chat change made on the other (onInvalidate)', async () => {
    const alan = await DemoClient.login(a.url, 'alan@example.com');
    const alanOnB = alan.on(b.url);
    // B holds the header in memory: the bus message of A's change drops it there.
    await alanOnB.get('/chats/2');
    await alanOnB.get('/chats/2');
    const events = await DemoEventStream.open(alanOnB, '/chats/2/events');
    try {
      expect(await events.next()).toEqual({ type: 'ready', data: { chatId: 2 } });
      const grace = await DemoClient.login(a.url, 'grace@example.com');
      expect((await grace.patch('/chats/2/settings', { topic: 'grammars' })).status).toBe(200);
      expect(await events.next()).toEqual({ type: 'header', data: { chatId: 2 } });
      expect((await alanOnB.get('/chats/2')).body.settings.topic).toBe('grammars');
    } finally {
      events.close();
    }
  });

  it('refuses on one instance a session ended on the other', async () => {
    const linus = await DemoClient.login(a.url, 'linus@example.com');
    expect((await linus.on(b.url).get('/me')).status).toBe(200);
    expect((await linus.post('/auth/logout')).status).toBe(204);
    await eventually(async () => expect((await linus.on(b.url).get('/me')).status).toBe(401));
  });

  it('holds the rate limit across instances', async () => {
    await clearOfMinuteBoundary();
    const ada = await DemoClient.login(a.url, 'ada@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const instance = i % 2 ? b.url : a.url;
      statuses.push((await ada.on(instance).post('/chats/1/messages', { text: `n${i}` })).status);
    }
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  }, 30_000);

  it('runs the digest on exactly one instance per window', async () => {
    const runs = await Promise.all([
      new DemoClient(a.url).post('/jobs/digest'),
      new DemoClient(b.url).post('/jobs/digest'),
    ]);
    expect(runs.map((run) => run.body.ran).sort()).toEqual([false, true]);
  });
});
