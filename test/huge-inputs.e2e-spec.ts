import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { PersistenceLevel } from 'nest-tiered-cache';
import { startCacheApp } from './servers/cache-app';

/** More tags than SQLite takes parameters in one statement (32766). */
const TAG_COUNT = 40_000;
const tags = Array.from({ length: TAG_COUNT }, (_unused, i) => `tag-${i}`);

/** Inputs far past the usual sizes: each is handled whole, and nothing stored is lost or kept. */
describe('huge inputs', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'huge-inputs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the rows of an invalidation of 40k tags from the embedded store', async () => {
    const options = {
      namespaces: [{ name: 'rows', persistence: PersistenceLevel.ON_CHANGE }],
      persistence: {
        dataSource: { type: 'sqljs' as const, location: join(dir, 'store.sqlite'), autoSave: true },
      },
    };
    const first = await startCacheApp(options);
    await first.ns('rows').set('tagged', 'v', { tags });
    await first.ns('rows').set('kept', 'v', { tags: ['other'] });
    expect(await first.ns('rows').invalidateTags(tags)).toBe(1);
    await first.close();

    // The next start loads what the file holds: an invalidated row would be served again.
    const second = await startCacheApp(options);
    try {
      expect(await second.ns('rows').get('tagged')).toBeUndefined();
      expect(await second.ns('rows').get('kept')).toBe('v');
    } finally {
      await second.close();
    }
  }, 30_000);

  it('writes a flush of more rows than one SQLite statement takes with a large batchSize', async () => {
    const options = {
      namespaces: [{ name: 'rows', persistence: PersistenceLevel.ON_SHUTDOWN }],
      persistence: {
        batchSize: 10_000,
        dataSource: { type: 'sqljs' as const, location: join(dir, 'store.sqlite'), autoSave: true },
      },
      memory: { maxEntries: 20_000 },
    };
    const keys = Array.from({ length: 8000 }, (_unused, i) => `k${i}`);
    const first = await startCacheApp(options);
    await first.ns('rows').setMany(keys.map((key, i) => [key, i] as [string, number]));
    // Five parameters a row: one statement of 8000 rows would take 40001.
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await first.service.flush();
      // Refused whole, the rows were written again one at a time, each its own statement.
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
    await first.close();

    const second = await startCacheApp(options);
    try {
      expect(await second.ns('rows').getMany(keys)).toEqual(keys.map((_key, i) => i));
    } finally {
      await second.close();
    }
  }, 60_000);
});
