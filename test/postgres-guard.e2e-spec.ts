import type { CacheErrorEvent } from 'nest-tiered-cache';
import { CACHE_DEFAULTS } from '../libs/cache/src/options/cache-options.defaults';
import { parseDuration } from '../libs/cache/src/options/duration';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { startDatabaseProxy } from './servers/database-proxy';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';
import type { TcpProxy } from './servers/tcp-proxy';

const deadline = parseDuration(CACHE_DEFAULTS.postgresCommandTimeout, 'postgresCommandTimeout');

describe('PostgreSQL tier behind its guard, with the database frozen', () => {
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  let app: CacheApp;

  beforeEach(async () => {
    database = await PostgresDatabase.create();
    const through = await startDatabaseProxy(database);
    proxy = through.proxy;
    app = await startCacheApp({
      namespaces: [
        { name: 'mixed', tiers: ['memory', 'postgres'] },
        { name: 'table', tiers: ['postgres'] },
      ],
      persistence: { dataSource: { type: 'postgres', url: through.url } },
    });
  });

  afterEach(async () => {
    proxy.thaw();
    await app.close();
    await proxy.cut();
    await database.drop();
  });

  it('settles get and set by the deadline, opens the circuit, and recovers once thawed', async () => {
    const mixed = app.ns<string>('mixed');
    const table = app.ns<string>('table');
    const errors: CacheErrorEvent[] = [];
    mixed.on('error', (event) => errors.push(event));
    table.on('error', (event) => errors.push(event));
    await table.set('kept', 'in the table');
    expect(await table.get('kept')).toBe('in the table');

    proxy.freeze();
    // As many calls as open the circuit, each cut off by the deadline, none thrown.
    const answers = await Promise.all([
      mixed.set('a', 'written while frozen'),
      mixed.get('absent'),
      table.set('b', 'lost'),
      table.get('kept'),
      table.get('absent'),
    ]);
    expect(answers).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(errors.map(({ error }) => (error as { code?: string }).code)).toEqual(
      Array(CACHE_DEFAULTS.postgresFailureThreshold).fill('E_CACHE_TIMEOUT'),
    );
    expect(errors[0].error.message).toContain(`did not answer within ${deadline}ms`);
    // A write still reached memory above the table.
    expect(await mixed.get('a')).toBe('written while frozen');

    // The circuit is open: the next call fails at once, without waiting for the database.
    errors.length = 0;
    expect(await table.get('kept')).toBeUndefined();
    expect(errors.map(({ error }) => (error as { code?: string }).code)).toEqual([
      'E_CACHE_UNAVAILABLE',
    ]);
    expect(errors[0].error.message).toContain('PostgreSQL is unavailable (circuit open)');

    proxy.thaw();
    await eventually(async () => expect(await table.get('kept')).toBe('in the table'), 10_000);
    errors.length = 0;
    await table.set('c', 'after');
    expect(await table.get('c')).toBe('after');
    expect(await mixed.get('absent')).toBeUndefined();
    expect(errors).toEqual([]);
  }, 30_000);
});
