import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DemoClient } from './servers/demo-client';
import { DemoProcess } from './servers/demo-process';
import { sqliteRows } from './servers/sqlite-rows';

/** True when something accepts connections at `url`. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The built demo as production runs it: `npm run start:prod`, stopped by SIGTERM to npm. */
describe('npm run start:prod', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-prod-'));
    await promisify(execFile)('npx', ['nest', 'build', 'demo'], {
      cwd: join(__dirname, '..'),
      timeout: 240_000,
    });
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops on SIGTERM to npm, writing ON_SHUTDOWN entries first', async () => {
    const store = join(dir, 'demo.sqlite');
    const demo = await DemoProcess.start({ SQLITE_PATH: store }, ['npm', 'run', 'start:prod']);
    const ada = await DemoClient.login(demo.url, 'ada@example.com');
    const topic = await ada.post('/chats/1/topics', { title: 'Analytical engine' });
    expect(topic.status).toBe(201);
    expect((await ada.get('/chats/1')).body.info).toMatchObject({ title: 'general' });
    expect(await sqliteRows(store, 'topics')).toEqual([]);
    // npm hands the signal to node; Nest's shutdown hooks flush, then the process ends.
    expect(await demo.stop('SIGTERM')).not.toBeNull();
    expect(await listening(demo.url)).toBe(false);
    expect((await sqliteRows(store, 'session')).map((row) => row.key)).toEqual([ada.token]);
    expect((await sqliteRows(store, 'topics')).map((row) => row.key)).toEqual([
      `1:${topic.body.id}`,
    ]);
    expect((await sqliteRows(store, 'chats')).map((row) => row.key)).toContain('info:1');
    // Started again, it serves the topic it wrote, through its index.
    const again = await DemoProcess.start({ SQLITE_PATH: store }, ['npm', 'run', 'start:prod']);
    try {
      const topics = await ada.on(again.url).get('/chats/1/topics');
      expect(topics.body.map((t: { title: string }) => t.title)).toEqual(['Analytical engine']);
    } finally {
      await again.stop('SIGTERM');
    }
  }, 120_000);
});
