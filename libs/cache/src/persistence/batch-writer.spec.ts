import { Logger } from '@nestjs/common';
import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import { plainEntry } from '../tiers/plain-entry';
import { writeNamespace } from './batch-writer';
import type { StoredRow } from './storage-sql';
import { StoreBusyError, type GuardedStore } from './store-guard';

const entry = (value: unknown): CacheEntry =>
  plainEntry(value, 1, Infinity, PersistenceLevel.ON_SHUTDOWN);

/** A store that records each statement, refusing the rows `refuse` names. */
function recordingStore(refuse: (row: StoredRow) => Error | undefined = () => undefined): {
  store: GuardedStore;
  statements: string[][];
} {
  const statements: string[][] = [];
  const store: GuardedStore = {
    upsert: (rows) => {
      statements.push(rows.map((row) => row.key));
      const refusal = rows.map(refuse).find((error) => error !== undefined);
      return refusal ? Promise.reject(refusal) : Promise.resolve();
    },
    remove: () => Promise.resolve({ held: [], stale: [] }),
    probe: () => Promise.resolve(),
    mend: () => Promise.resolve([]),
  };
  return { store, statements };
}

describe('writeNamespace', () => {
  const logger = new Logger('test');
  const entries = new Map(['a', 'b', 'c', 'd', 'e'].map((key) => [key, entry(key)]));

  beforeEach(() => jest.spyOn(logger, 'error').mockImplementation(() => undefined));

  it('writes every row in batches, in order', async () => {
    const { store, statements } = recordingStore();
    expect(await writeNamespace(store, 'ns', entries, 2, logger)).toBe(5);
    expect(statements).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('drops a row the database refuses and writes the rest of every batch', async () => {
    const { store, statements } = recordingStore((row) =>
      row.key === 'c' ? new Error('value too long') : undefined,
    );
    const dropped: string[] = [];
    expect(
      await writeNamespace(store, 'ns', entries, 2, logger, (keys) => dropped.push(...keys)),
    ).toBe(4);
    expect(dropped).toEqual(['c']);
    // The batch failed twice, then went row by row; the next batch still went.
    expect(statements).toEqual([['a', 'b'], ['c', 'd'], ['c', 'd'], ['c'], ['d'], ['e']]);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('refused 1 entries'));
  });

  it('stops at a batch the database does not answer, sending no later batch', async () => {
    const { store, statements } = recordingStore((row) =>
      row.key === 'c' ? new StoreBusyError() : undefined,
    );
    await expect(writeNamespace(store, 'ns', entries, 2, logger)).rejects.toBeInstanceOf(
      StoreBusyError,
    );
    expect(statements.flat()).not.toContain('e');
  });

  it('drops an entry it cannot encode and writes the rest, whichever batch holds it', async () => {
    const { store, statements } = recordingStore();
    // A BigInt cannot be encoded: never stored by `set`, it stands for a value written around
    // the cache (one nested too deeply for the encoder, say).
    const unencodable = new Map([...entries, ['f', entry({ n: BigInt(1) })], ['g', entry('g')]]);
    const dropped: string[] = [];
    expect(
      await writeNamespace(store, 'ns', unencodable, 2, logger, (keys) => dropped.push(...keys)),
    ).toBe(6);
    expect(dropped).toEqual(['f']);
    expect(statements).toEqual([['a', 'b'], ['c', 'd'], ['e'], ['g']]);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('could not encode entry "f"'),
    );
  });

  it("flushes under a test's fake timers", async () => {
    jest.useFakeTimers();
    try {
      const { store } = recordingStore();
      expect(await writeNamespace(store, 'ns', entries, 2, logger)).toBe(5);
    } finally {
      jest.useRealTimers();
    }
  });
});
