import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoClient } from './servers/demo-client';
import { DemoProcess } from './servers/demo-process';
import { sqliteRows } from './servers/sqlite-rows';

/** The chat demo as a process on its embedded store, signalled as an orchestrator would. */
describe('the demo as a process', () => {
  let dir: string;
  let store: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-process-'));
    store = join(dir, 'demo.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const valueOf = async (namespace: string, key: string): Promise<any> => {
    const row = (await sqliteRows(store, namespace)).find((candidate) => candidate.key === key);
    return row && JSON.parse(row.value);
  };

  it('writes ON_SHUTDOWN entries on SIGTERM, and a restart keeps sessions and chat headers', async () => {
    const demo = await DemoProcess.start({ SQLITE_PATH: store });
    const ada = await DemoClient.login(demo.url, 'ada@example.com');
    expect((await ada.get('/chats/1')).body.info).toMatchObject({ title: 'general', messages: 3 });
    expect(await sqliteRows(store, 'session')).toEqual([]);
    // Nest runs its shutdown hooks, then lets the signal end the process.
    expect(await demo.stop('SIGTERM')).toBe('SIGTERM');
    expect((await sqliteRows(store, 'session')).map((row) => row.key)).toEqual([ada.token]);
    expect(await valueOf('chats', 'info:1')).toMatchObject({ title: 'general', messages: 3 });
    const again = await DemoProcess.start({ SQLITE_PATH: store });
    try {
      // The same token, after a restart: the session was loaded back.
      const me = await ada.on(again.url).get('/me');
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe('ada@example.com');
    } finally {
      await again.stop('SIGTERM');
    }
  }, 120_000);

  it('writes ON_SHUTDOWN and dirty PERIODIC entries when SIGTERM arrives under load', async () => {
    const demo = await DemoProcess.start({ SQLITE_PATH: store, RATE_LIMIT_PER_MINUTE: '1000000' });
    const ada = await DemoClient.login(demo.url, 'ada@example.com');
    let answered = 0;
    let stop = false;
    const load = Array.from({ length: 8 }, async (_, worker) => {
      while (!stop) {
        const response = await (
          worker % 2
            ? ada.get('/chats/1/messages?limit=1')
            : ada.post('/chats/1/messages', { text: `load ${worker}` })
        ).catch(() => undefined);
        if (response?.status === 201) answered++;
        else if (response?.status !== 200) break;
      }
    });
    const until = Date.now() + 30_000;
    while (answered < 50 && Date.now() < until)
      await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBeGreaterThanOrEqual(50);
    const stopped = demo.stop('SIGTERM');
    stop = true;
    await Promise.all(load);
    await stopped;
    // Every answered post counted in the header; those in flight at the signal may have too.
    const info = await valueOf('chats', 'info:1');
    expect(info.messages).toBeGreaterThanOrEqual(3 + answered);
    expect(info.messages).toBeLessThanOrEqual(3 + answered + 4);
    // The read marker (PERIODIC) reached the table.
    expect(await valueOf('chatUsers', '1:1')).toMatchObject({ chatId: 1, userId: 1 });
  }, 120_000);

  it('loses no ON_CHANGE entry when killed right after the writes return', async () => {
    const demo = await DemoProcess.start({ SQLITE_PATH: store });
    const ada = await DemoClient.login(demo.url, 'ada@example.com');
    const chats: number[] = [];
    for (let i = 0; i < 10; i++) {
      const created = await ada.post('/chats', { title: `room ${i}` });
      const saved = await ada.patch(`/chats/${created.body.id}/settings`, { topic: `topic ${i}` });
      expect(saved.status).toBe(200);
      chats.push(created.body.id);
    }
    await demo.stop('SIGKILL');
    const settings = (await sqliteRows(store, 'chats')).filter((row) =>
      row.key.startsWith('settings:'),
    );
    expect(settings.map((row) => row.key).sort()).toEqual(
      chats.map((id) => `settings:${id}`).sort(),
    );
  }, 120_000);
});
