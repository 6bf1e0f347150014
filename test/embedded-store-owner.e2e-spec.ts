import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';

/**
 * sql.js keeps the embedded store's whole database in one connection's memory and rewrites the
 * file after each change: two connections on one file would each overwrite the other's rows. So
 * a file has one holder at a time; another app's persisted entries wait until it can hold it.
 */
describe('the embedded store, one connection per file', () => {
  let dir: string;
  let location: string;
  const apps: CacheApp[] = [];
  let holder: ChildProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'embedded-owner-'));
    location = join(dir, 'store.sqlite');
  });
  afterEach(async () => {
    holder?.kill('SIGKILL');
    holder = undefined;
    for (const app of apps.splice(0)) await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (at = location): Promise<CacheApp> => {
    const app = await startCacheApp({
      namespaces: [{ name: 'settings', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: { dataSource: { type: 'sqljs', location: at, autoSave: true } },
    });
    apps.push(app);
    return app;
  };

  /** The keys in the file, read behind the module's back. */
  const keysInFile = async (): Promise<string[]> => {
    const reader = new DataSource({ type: 'sqljs', location });
    await reader.initialize();
    try {
      const rows: Array<{ key: string }> = await reader.query(
        'SELECT key FROM cache_storage ORDER BY key',
      );
      return rows.map((row) => row.key);
    } finally {
      await reader.destroy();
    }
  };

  it("keeps a second app's entries waiting rather than overwrite the first one's rows", async () => {
    const first = await start();
    await first.ns('settings').set('a', 1);
    const second = await start();
    await second.ns('settings').set('b', 2);
    expect(second.service.info().backends.persistence).toMatchObject({
      healthy: false,
      dirty: 1,
      lastError: expect.stringContaining('is in use by another connection of this process'),
    });
    await first.ns('settings').set('c', 3);
    expect(await keysInFile()).toEqual(['a', 'c']);
    await first.close();
    // Once the first let go of the file, the second holds it and writes what waited.
    expect(await second.service.flush()).toBe(1);
    expect(await keysInFile()).toEqual(['a', 'b', 'c']);
  });

  it('knows the file by any path that reaches it', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    location = join(dir, 'real', 'store.sqlite');
    const first = await start();
    await first.ns('settings').set('a', 1);
    const second = await start(join(dir, 'link', 'store.sqlite'));
    await second.ns('settings').set('b', 2);
    expect(second.service.info().backends.persistence).toMatchObject({
      dirty: 1,
      lastError: expect.stringContaining('is in use by another connection of this process'),
    });
    await first.ns('settings').set('c', 3);
    await first.close();
    expect(await second.service.flush()).toBe(1);
    expect(await keysInFile()).toEqual(['a', 'b', 'c']);
  });

  it('waits for another process holding the file, and takes over from one that died', async () => {
    holder = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-e',
        `require('./libs/cache/src/persistence/store-file-lock').claimStoreFile(process.argv[1]);
         console.log('held');
         setInterval(() => undefined, 1000);`,
        location,
      ],
      { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const child = holder;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (data: Buffer) => data.toString().includes('held') && resolve());
      child.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
    });
    const app = await start();
    await app.ns('settings').set('a', 1);
    expect(app.service.info().backends.persistence).toMatchObject({
      dirty: 1,
      lastError: expect.stringContaining(`is in use by process ${child.pid}`),
    });
    // Killed, it leaves its lock file behind: a holder that is gone holds nothing.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(await app.service.flush()).toBe(1);
    expect(await keysInFile()).toEqual(['a']);
  });
});
