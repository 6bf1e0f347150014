import { PostgresTier } from '../libs/cache/src/persistence/postgres.tier';
import { StorageStore } from '../libs/cache/src/persistence/storage-store';
import { entryOf } from '../libs/cache/src/tiers/tier.contract';
import { advanceDate } from './servers/advance-date';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import {
  loadAround as loadAroundOn,
  loadManyAround as loadManyAroundOn,
  type Change,
} from './servers/loads-around';
import { PostgresDatabase } from './servers/postgres-database';

describe('loads across two instances on one PostgreSQL table (the PostgreSQL tier)', () => {
  let database: PostgresDatabase;
  let a: CacheApp;
  let b: CacheApp;
  let prefix = '';
  let run = 0;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
  });
  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    prefix = `pgloads${++run}`;
    const options = {
      prefix,
      namespaces: [
        { name: 'table', tiers: ['postgres' as const] },
        { name: 'fronted', tiers: ['memory' as const, 'postgres' as const] },
        { name: 'graced', ttl: 100, grace: 60_000, tiers: ['postgres' as const] },
      ],
      persistence: { dataSource: { type: 'postgres' as const, url: database.url } },
    };
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    jest.useRealTimers();
    await a.close();
    await b.close();
  });

  // Every load is tagged `t`, so invalidateTags(['t']) reaches it.
  const loadAround = (namespace: string, key: string, meanwhile: Change): Promise<string> =>
    loadAroundOn({ a, b }, namespace, key, meanwhile, { tags: ['t'] });
  const loadManyAround = (namespace: string, keys: string[], meanwhile: Change) =>
    loadManyAroundOn({ a, b }, namespace, keys, meanwhile);

  /** What the table itself holds under `key`: no instance's memory in the way. */
  async function inTable(namespace: string, key: string): Promise<unknown> {
    const [row] = await database.query<{ value: unknown }>(
      'SELECT value FROM cache_storage WHERE prefix = $1 AND namespace = $2 AND key = $3',
      [prefix, namespace, key],
    );
    return row?.value;
  }

  describe.each(['table', 'fronted'])('a slow load on A (%s)', (namespace) => {
    it('stores its value when nothing changed meanwhile', async () => {
      expect(await loadAround(namespace, 'k', async () => undefined)).toBe('loaded');
      expect(await inTable(namespace, 'k')).toBe('loaded');
      expect(await b.ns(namespace).get('k')).toBe('loaded');
      expect(await a.ns(namespace).get('k')).toBe('loaded');
    });

    it('stores its value when B deleted another key meanwhile', async () => {
      await loadAround(namespace, 'k', (other, ns) => other.ns(ns).delete('other'));
      expect(await inTable(namespace, 'k')).toBe('loaded');
    });

    it('does not undo a write made on B while it ran', async () => {
      const change: Change = (other, ns) => other.ns(ns).set('k', 'new');
      expect(await loadAround(namespace, 'k', change)).toBe('loaded');
      expect(await inTable(namespace, 'k')).toBe('new');
      expect(await b.ns(namespace).get('k')).toBe('new');
      await eventually(async () => expect(await a.ns(namespace).get('k')).toBe('new'));
    });

    it('does not undo a delete made on B while it ran, of a key that was there before', async () => {
      await a.ns(namespace).set('k', 'original');
      await a.ns(namespace).delete('k');
      await loadAround(namespace, 'k', (other, ns) => other.ns(ns).delete('k'));
      expect(await inTable(namespace, 'k')).toBeUndefined();
      expect(await b.ns(namespace).get('k')).toBeUndefined();
      expect(await a.ns(namespace).get('k')).toBeUndefined();
    });

    it.each<[string, Change]>([
      [
        'a set and a delete',
        async (other, ns) => {
          await other.ns(ns).set('k', 'new');
          await other.ns(ns).delete('k');
        },
      ],
      ['invalidateTags', (other, ns) => other.ns(ns).invalidateTags(['t'])],
      ['invalidatePattern', (other, ns) => other.ns(ns).invalidatePattern('k*')],
      ['clear', (other, ns) => other.ns(ns).clear()],
    ])('does not undo %s made on B while it ran', async (_name, change) => {
      await loadAround(namespace, 'k', change);
      expect(await inTable(namespace, 'k')).toBeUndefined();
      expect(await b.ns(namespace).get('k')).toBeUndefined();
      expect(await a.ns(namespace).get('k')).toBeUndefined();
    });

    it('does not undo an increment made on B while it ran', async () => {
      await loadAround(namespace, 'k', (other, ns) => other.ns(ns).increment('k'));
      expect(await inTable(namespace, 'k')).toBe(1);
      expect(await b.ns(namespace).get('k')).toBe(1);
    });

    it('getOrSetMany stores the keys nobody changed, not the one B wrote', async () => {
      const change: Change = (other, ns) => other.ns(ns).set('k', 'new');
      expect(await loadManyAround(namespace, ['k', 'j'], change)).toEqual(['loaded', 'loaded']);
      expect(await inTable(namespace, 'k')).toBe('new');
      expect(await inTable(namespace, 'j')).toBe('loaded');
    });

    it('getOrSetMany does not undo a delete made on B, of a key that was missing', async () => {
      await loadManyAround(namespace, ['k', 'j'], (other, ns) => other.ns(ns).delete('k'));
      expect(await inTable(namespace, 'k')).toBeUndefined();
      expect(await inTable(namespace, 'j')).toBe('loaded');
    });
  });

  describe('a slow reload of a stale entry on A (within grace)', () => {
    beforeEach(async () => {
      await a.ns('graced').set('k', 'stale', { tags: ['t'] });
      advanceDate(1000);
    });

    it('replaces it when nothing changed meanwhile', async () => {
      expect(await loadAround('graced', 'k', async () => undefined)).toBe('loaded');
      expect(await inTable('graced', 'k')).toBe('loaded');
    });

    it('does not undo a write made on B while it ran', async () => {
      await loadAround('graced', 'k', (other, ns) => other.ns(ns).set('k', 'new'));
      expect(await inTable('graced', 'k')).toBe('new');
    });

    it.each<[string, Change]>([
      ['delete', (other, ns) => other.ns(ns).delete('k')],
      ['invalidateTags', (other, ns) => other.ns(ns).invalidateTags(['t'])],
    ])('does not undo %s made on B while it ran', async (_name, change) => {
      await loadAround('graced', 'k', change);
      expect(await inTable('graced', 'k')).toBeUndefined();
    });
  });
});

describe('PostgresTier load tickets', () => {
  let database: PostgresDatabase;
  let store: StorageStore;
  let other: StorageStore;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    store = await StorageStore.open({ type: 'postgres', url: database.url }, 'app', true);
    other = await StorageStore.open({ type: 'postgres', url: database.url }, 'app', false);
  });
  afterAll(async () => {
    await store.close();
    await other.close();
    await database.drop();
  });

  it('issues tickets that store what nobody changed and refuse what someone did', async () => {
    const tier = new PostgresTier(async () => store, 'tickets');
    // Another connection, as another instance would change the rows.
    const elsewhere = new PostgresTier(async () => other, 'tickets');
    await tier.set('written', entryOf('old'));
    await tier.set('kept', entryOf('old'));
    await tier.set('updated', entryOf({ n: 1 }));
    const keys = ['written', 'deleted', 'kept', 'missing', 'updated', 'expired'];
    const reads = await tier.readManyForLoad(keys);
    expect(reads.map((read) => read.entry?.value)).toEqual([
      'old',
      undefined,
      'old',
      undefined,
      { n: 1 },
      undefined,
    ]);
    const [written, deleted, kept, missing, updated, expired] = reads.map((read) => read.ticket);
    await elsewhere.set('written', entryOf('new'));
    await elsewhere.delete(['deleted']);
    await elsewhere.update('updated', { n: 2 });
    await elsewhere.set('expired', entryOf('short', { expiresAt: Date.now() - 1 }));
    // A delete of one key marks that key; the others' tickets stay good.
    expect(await tier.setUnlessChanged('kept', entryOf('loaded'), kept)).toBe(true);
    expect(await tier.setUnlessChanged('missing', entryOf('loaded'), missing)).toBe(true);
    expect(await tier.setUnlessChanged('written', entryOf('loaded'), written)).toBe(false);
    expect(await tier.setUnlessChanged('deleted', entryOf('loaded'), deleted)).toBe(false);
    expect(await tier.setUnlessChanged('updated', entryOf('loaded'), updated)).toBe(false);
    // A write whose entry expired before the load ended is not seen (as on Redis).
    expect(await tier.setUnlessChanged('expired', entryOf('loaded'), expired)).toBe(true);
    expect((await tier.getMany(keys)).map((entry) => entry?.value)).toEqual([
      'new',
      undefined,
      'loaded',
      'loaded',
      { n: 2 },
      'loaded',
    ]);
  });

  it('refuses every ticket issued before a removal by rule, whatever it removed', async () => {
    const tier = new PostgresTier(async () => store, 'rules');
    const [before] = await tier.readManyForLoad(['k']);
    await new PostgresTier(async () => other, 'rules').deleteByTags(['unrelated']);
    const [after] = await tier.readManyForLoad(['k']);
    expect(
      await tier.setUnlessChanged('k', entryOf('loaded', { tags: ['t'] }), before.ticket),
    ).toBe(false);
    expect(await tier.setUnlessChanged('k', entryOf('loaded'), after.ticket)).toBe(true);
  });

  it('keeps its marks out of the namespace: they are neither entries nor counted', async () => {
    const tier = new PostgresTier(async () => store, 'marks');
    await tier.set('k', entryOf('v'));
    await tier.delete(['k', 'never-there']);
    await tier.clear();
    expect(await tier.usage()).toEqual({ entries: 0, bytes: 0, persistent: 0 });
    expect(await tier.getMany(['k', 'never-there'])).toEqual([undefined, undefined]);
  });
});
