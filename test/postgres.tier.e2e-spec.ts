import { PostgresTier } from '../libs/cache/src/persistence/postgres.tier';
import { StorageStore } from '../libs/cache/src/persistence/storage-store';
import { describeTierContract, entryOf } from '../libs/cache/src/tiers/tier.contract';
import { PostgresDatabase } from './servers/postgres-database';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL tier', () => {
  let database: PostgresDatabase;
  let store: StorageStore;
  let run = 0;
  let prefix = '';

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    store = await StorageStore.open({ type: 'postgres', url: database.url }, true);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });
  beforeEach(() => {
    prefix = `t${++run}`;
  });

  const tierFor = (namespace: string): PostgresTier =>
    new PostgresTier(async () => store, `${prefix}.${namespace}`);

  describeTierContract('postgres', { create: tierFor, advance: (ms) => sleep(ms) });

  it('keeps counters atomic under concurrent increments', async () => {
    const tier = tierFor('counters');
    const template = { expiresAt: Infinity, persistence: entryOf(0).persistence };
    const results = await Promise.all(
      Array.from({ length: 25 }, () => tier.increment('n', 1, template)),
    );
    expect(new Set(results).size).toBe(25);
    expect((await tier.get('n'))?.value).toBe(25);
  });

  it('treats LIKE wildcards in globs and keys literally', async () => {
    const tier = tierFor('like');
    await tier.set('a%b', entryOf(1));
    await tier.set('axxb', entryOf(2));
    await tier.set('a_b', entryOf(3));
    expect(await tier.deleteMatching('a%b')).toEqual(['a%b']);
    expect(await tier.deleteMatching('a?b')).toEqual(['a_b']);
    expect((await tier.get('axxb'))?.value).toBe(2);
  });

  it('takes and releases locks', async () => {
    const tier = tierFor('locks');
    const token = await tier.acquireLock('k', 10_000);
    expect(token).toBeDefined();
    expect(await tier.acquireLock('k', 10_000)).toBeUndefined();
    await tier.releaseLock('k', token as string);
    expect(await tier.acquireLock('k', 10_000)).toBeDefined();
  });
});
