import { types } from 'pg';
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
    store = await StorageStore.open({ type: 'postgres', url: database.url }, 'app', true);
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

  it('reads expiries back to the millisecond when the app keeps float8 as text', async () => {
    const original = types.getTypeParser(types.builtins.FLOAT8);
    types.setTypeParser(types.builtins.FLOAT8, (text: string) => text);
    try {
      const tier = tierFor('float-text');
      const expiresAt = Date.now() + 60_007;
      await tier.set('k', entryOf(1, { expiresAt }));
      expect((await tier.get('k'))?.expiresAt).toBe(expiresAt);
    } finally {
      types.setTypeParser(types.builtins.FLOAT8, original);
    }
  });

  it('treats LIKE wildcards in globs and keys literally', async () => {
    const tier = tierFor('like');
    await tier.set('a%b', entryOf(1));
    await tier.set('axxb', entryOf(2));
    await tier.set('a_b', entryOf(3));
    expect((await tier.deleteMatching('a%b')).held).toEqual(['a%b']);
    expect((await tier.deleteMatching('a?b')).held).toEqual(['a_b']);
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

describe('The table tier on the embedded store', () => {
  // The store writes every statement for both dialects: the same contract holds on SQLite.
  let store: StorageStore;
  let run = 0;

  beforeAll(async () => {
    store = await StorageStore.open({ type: 'sqljs' }, 'app', true);
  });
  afterAll(() => store.close());

  describeTierContract('embedded table', {
    create: (namespace) => new PostgresTier(async () => store, `e${++run}.${namespace}`),
    advance: (ms) => sleep(ms),
  });
});

describe('PostgreSQL tier, two applications on one database', () => {
  let database: PostgresDatabase;
  let a: StorageStore;
  let b: StorageStore;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    a = await StorageStore.open({ type: 'postgres', url: database.url }, 'app-a', true);
    b = await StorageStore.open({ type: 'postgres', url: database.url }, 'app-b', true);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await database.drop();
  });

  const rows = (): Promise<Array<{ prefix: string; key: string; value: unknown }>> =>
    database.query(
      "SELECT prefix, key, value FROM cache_storage WHERE namespace = 'users' ORDER BY prefix, key",
    );

  it('never reads, changes or removes the rows of another prefix', async () => {
    const tierA = new PostgresTier(async () => a, 'users');
    const tierB = new PostgresTier(async () => b, 'users');
    const tagged = { tags: ['team'], indexes: { team: 'red' } };
    await tierA.set('alice', entryOf({ name: 'Alice' }, tagged));
    await tierA.set('counter', entryOf(10));
    expect(await tierB.get('alice')).toBeUndefined();
    expect(await tierB.getMany(['alice', 'counter'])).toEqual([undefined, undefined]);
    expect(await tierB.keysByIndex('team', 'red')).toEqual([]);
    expect((await tierB.usage()).entries).toBe(0);
    expect(await tierB.setIfAbsent('alice', entryOf({ name: 'Bob' }, tagged))).toBe(true);
    expect(
      await tierB.increment('counter', 1, {
        expiresAt: Infinity,
        persistence: entryOf(0).persistence,
      }),
    ).toBe(1);
    expect(await tierB.update('alice', { role: 'b' })).toBeDefined();
    expect(await tierB.expire('alice', Date.now() + 60_000)).toBe(true);
    expect((await tierB.deleteByTags(['team'])).held).toEqual(['alice']);
    await tierB.set('alice', entryOf('again'));
    expect((await tierB.deleteMatching('*')).held).toEqual(['alice', 'counter']);
    await tierB.set('alice', entryOf('again'));
    expect((await tierB.delete(['alice'])).held).toEqual(['alice']);
    expect(await tierB.clear()).toBe(0);
    expect(await rows()).toEqual([
      { prefix: 'app-a', key: 'alice', value: { name: 'Alice' } },
      { prefix: 'app-a', key: 'counter', value: 10 },
    ]);
    expect((await tierA.get('alice'))?.value).toEqual({ name: 'Alice' });
    expect(await tierA.keysByIndex('team', 'red')).toEqual(['alice']);
  });

  it('takes locks of its own', async () => {
    const tierA = new PostgresTier(async () => a, 'jobs');
    const tierB = new PostgresTier(async () => b, 'jobs');
    expect(await tierA.acquireLock('nightly', 10_000)).toBeDefined();
    const token = await tierB.acquireLock('nightly', 10_000);
    expect(token).toBeDefined();
    await tierB.releaseLock('nightly', token as string);
    expect(await tierA.acquireLock('nightly', 10_000)).toBeUndefined();
  });
});

describe('PostgreSQL tier, crafted rows', () => {
  let database: PostgresDatabase;
  let store: StorageStore;
  const corrupt: string[] = [];
  let tier: PostgresTier;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    store = await StorageStore.open({ type: 'postgres', url: database.url }, 'app', true);
    tier = new PostgresTier(
      async () => store,
      'crafted',
      (key) => corrupt.push(key),
    );
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const craft = (key: string, value: string, metadata: string, expiresAt: Date | null = null) =>
    database.query(
      `INSERT INTO cache_storage (prefix, namespace, key, value, metadata, expires_at)
       VALUES ('app', 'crafted', $1, $2::jsonb, $3::jsonb, $4)`,
      [key, value, metadata, expiresAt],
    );

  it.each([
    ['an expiry that is not a time', '1', '{"persistence":"memory","expiresAt":"abc"}'],
    ['a grace end that is not a time', '1', '{"persistence":"memory","graceUntil":"abc"}'],
    [
      'an expiry past its grace end',
      '1',
      '{"persistence":"memory","expiresAt":9000000000000,"graceUntil":1}',
    ],
    ['an unknown persistence level', '1', '{"persistence":"forever"}'],
    ['metadata that is not an object', '1', '["memory"]'],
    ['tags that are not strings', '1', '{"persistence":"memory","tags":[1]}'],
    ['indexes that are not strings', '1', '{"persistence":"memory","indexes":{"team":{"$ne":1}}}'],
    ['a Date that is no date', '{"$d":"not a date"}', '{"persistence":"memory"}'],
    ['a Date tag that is not text', '{"at":{"$d":12}}', '{"persistence":"memory"}'],
  ])('reads a row with %s as a miss, and reports it', async (_label, value, metadata) => {
    const key = `k${corrupt.length}-${Math.random()}`;
    await craft(key, value, metadata);
    expect(await tier.get(key)).toBeUndefined();
    expect(await tier.getMany([key])).toEqual([undefined]);
    expect(corrupt.filter((reported) => reported === key)).toHaveLength(2);
  });

  it('serves the sound rows next to a crafted one, and writes over it', async () => {
    await craft('bad', '{"$d":"nope"}', '{"persistence":"memory"}');
    await tier.set('good', entryOf(new Date(0)));
    expect(await tier.getMany(['bad', 'good'])).toEqual([
      undefined,
      expect.objectContaining({ value: new Date(0) }),
    ]);
    expect(
      await tier.increment('bad', 2, { expiresAt: Infinity, persistence: entryOf(0).persistence }),
    ).toBe(2);
  });
});
