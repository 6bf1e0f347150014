import type { CacheModuleOptions } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { startDatabaseProxy, type DatabaseProxy } from './servers/database-proxy';
import { loadAround, type Change } from './servers/loads-around';
import { PostgresDatabase } from './servers/postgres-database';

/**
 * The PostgreSQL tier's side of `unread-loads-across-instances`: a load whose first read failed
 * (A's link to the database was cut) must not store over what B changed once the link was back.
 */
describe('loads whose first read failed, two instances on one PostgreSQL table', () => {
  let database: PostgresDatabase;
  let link: DatabaseProxy;
  let a: CacheApp;
  let b: CacheApp;
  const prefix = 'pgunread';

  beforeAll(async () => {
    database = await PostgresDatabase.create();
    link = await startDatabaseProxy(database);
    const options = (url: string): CacheModuleOptions => ({
      prefix,
      namespaces: [{ name: 'table', tiers: ['postgres'] }],
      persistence: { dataSource: { type: 'postgres', url } },
    });
    // A reaches the database through the proxy, so its link alone can be cut.
    a = await startCacheApp(options(link.url));
    b = await startCacheApp(options(database.url));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await link.proxy.cut();
    await database.drop();
  });

  /** What the table holds under `key`. */
  const inTable = async (key: string): Promise<unknown> => {
    const [row] = await database.query<{ value: unknown }>(
      "SELECT value FROM cache_storage WHERE prefix = $1 AND namespace = 'table' AND key = $2",
      [prefix, key],
    );
    return row?.value;
  };

  /** Cuts A's link, starts a load of `key` on A, and lets B `change` it once the link is back. */
  const loadAcrossCut = async (key: string, change: Change): Promise<string> => {
    await link.proxy.cut();
    return loadAround({ a, b }, 'table', key, async (other, namespace) => {
      await link.proxy.open();
      await change(other, namespace);
    });
  };

  it('does not undo a write made on B after the link came back', async () => {
    const change: Change = (other) => other.ns('table').set('written', 'new');
    expect(await loadAcrossCut('written', change)).toBe('loaded');
    expect(await inTable('written')).toBe('new');
  });

  it('does not undo a delete made on B after the link came back', async () => {
    await b.ns('table').set('deleted', 'old');
    const change: Change = (other) => other.ns('table').delete('deleted');
    expect(await loadAcrossCut('deleted', change)).toBe('loaded');
    expect(await inTable('deleted')).toBeUndefined();
  });
});
