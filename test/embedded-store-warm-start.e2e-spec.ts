import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';

/**
 * The default store: `.cache-storage.sqlite` under the working directory, opened when something
 * needs it. A restart needs it whenever the file holds rows, whatever the namespaces' levels now.
 */
describe('the default embedded store across restarts', () => {
  let dir: string;
  let cwd: string;

  beforeEach(() => {
    cwd = process.cwd();
    dir = mkdtempSync(join(tmpdir(), 'default-store-'));
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads entries persisted by a per-call level into a MEMORY_ONLY namespace', async () => {
    const first = await startCacheApp({ namespaces: ['drafts'] });
    await first.ns('drafts').set('kept', 1, { persistence: PersistenceLevel.ON_CHANGE });
    await first.ns('drafts').set('volatile', 2);
    await first.close();

    const second = await startCacheApp({ namespaces: ['drafts'] });
    try {
      expect(await second.ns('drafts').get('kept')).toBe(1);
      expect(await second.ns('drafts').get('volatile')).toBeUndefined();
    } finally {
      await second.close();
    }
  });

  it('loads the rows of a namespace whose level became MEMORY_ONLY', async () => {
    const first = await startCacheApp({
      namespaces: [{ name: 'drafts', persistence: PersistenceLevel.ON_CHANGE }],
    });
    await first.ns('drafts').set('kept', 1);
    await first.close();

    const second = await startCacheApp({ namespaces: ['drafts'] });
    try {
      expect(await second.ns('drafts').get('kept')).toBe(1);
    } finally {
      await second.close();
    }
  });
});
