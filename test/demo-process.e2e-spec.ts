import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DemoProcess } from './servers/demo-process';

/** Reads the embedded store file the way a fresh process would. */
async function rowsOf(
  location: string,
  namespace: string,
): Promise<Array<{ key: string; value: string }>> {
  const reader = new DataSource({ type: 'sqljs', location, autoSave: true });
  await reader.initialize();
  try {
    return await reader.query(
      'SELECT key, value FROM cache_storage WHERE namespace = ? ORDER BY key',
      [namespace],
    );
  } finally {
    await reader.destroy();
  }
}

describe('the demo as a process', () => {
  let dir: string;
  let store: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-process-'));
    store = join(dir, 'store.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes ON_SHUTDOWN entries on SIGTERM, and loads them when it starts again', async () => {
    const demo = await DemoProcess.start({ CACHE_SQLITE_PATH: store });
    for (let i = 0; i < 3; i++) await fetch(`${demo.url}/profiles/ada`);
    // Nest runs its shutdown hooks, then lets the signal end the process.
    expect(await demo.stop('SIGTERM')).toBe('SIGTERM');
    expect(await rowsOf(store, 'visits')).toEqual([{ key: 'ada', value: '3' }]);
    const again = await DemoProcess.start({ CACHE_SQLITE_PATH: store });
    try {
      const response = (await (await fetch(`${again.url}/profiles/ada`)).json()) as {
        visits: number;
      };
      expect(response.visits).toBe(4);
    } finally {
      await again.stop('SIGTERM');
    }
  }, 120_000);

  it('writes ON_SHUTDOWN and dirty PERIODIC entries when SIGTERM arrives under load', async () => {
    const demo = await DemoProcess.start({ CACHE_SQLITE_PATH: store });
    let answered = 0;
    let stop = false;
    const load = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const response = await fetch(`${demo.url}/profiles/ada`).catch(() => undefined);
        if (response?.status === 200) answered++;
        else break;
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
    const visits = await rowsOf(store, 'visits');
    expect(visits).toHaveLength(1);
    // Every answered request counted; one in flight at the signal may have counted unanswered.
    expect(Number(visits[0].value)).toBeGreaterThanOrEqual(answered);
    expect(Number(visits[0].value)).toBeLessThanOrEqual(answered + 8);
    expect((await rowsOf(store, 'lastSeen')).map((row) => row.key)).toEqual(['ada']);
  }, 120_000);

  it('loses no ON_CHANGE entry when killed right after the writes return', async () => {
    const demo = await DemoProcess.start({ CACHE_SQLITE_PATH: store });
    const ids = Array.from({ length: 20 }, (_, i) => `note-${String(i).padStart(2, '0')}`);
    for (const id of ids) {
      const response = await fetch(`${demo.url}/notes/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `text of ${id}` }),
      });
      expect(response.status).toBe(200);
    }
    await demo.stop('SIGKILL');
    expect((await rowsOf(store, 'notes')).map((row) => row.key)).toEqual(ids);
  }, 120_000);
});
