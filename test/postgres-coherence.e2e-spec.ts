import type { CacheModuleOptions } from 'nest-tiered-cache';
import type { InvalidationBus } from '../libs/cache/src/bus/invalidation-bus';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { dropOutgoing } from './servers/drop-outgoing';
import { itDropsTheOtherInstancesMemory } from './servers/coherence-cases';
import { eventually } from './servers/eventually';
import { PostgresDatabase } from './servers/postgres-database';

const busOf = (app: CacheApp): InvalidationBus =>
  (app.service as unknown as { backends: { bus: InvalidationBus } }).backends.bus;

describe('two app instances on one PostgreSQL, without Redis', () => {
  let database: PostgresDatabase;
  let a: CacheApp;
  let b: CacheApp;
  let run = 0;

  beforeAll(async () => {
    database = await PostgresDatabase.create();
  });
  afterAll(() => database.drop());

  // As an application builds its options: the bus is on by default for a PostgreSQL
  // `persistence.dataSource` without Redis (the options here never pass `bus`, except to turn it
  // off).
  const optionsFor = (prefix: string): CacheModuleOptions => ({
    prefix,
    persistence: { dataSource: { type: 'postgres', url: database.url } },
    namespaces: [{ name: 'shared', tiers: ['memory', 'postgres'] }],
  });

  beforeEach(async () => {
    const options = optionsFor(`pgapp${++run}`);
    a = await startCacheApp(options);
    b = await startCacheApp(options);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('reports the bus and its transport in info() and health()', async () => {
    expect(a.service.info().backends.bus).toEqual({
      transport: 'postgres',
      connected: true,
      gaps: 0,
    });
    expect(await a.service.health()).toMatchObject({
      status: 'up',
      bus: { transport: 'postgres', connected: true },
    });
  });

  it("sees the other instance's writes, even over a value it holds in memory", async () => {
    await a.ns('shared').set('k', { v: 1 });
    await eventually(async () => {
      expect(await b.ns('shared').get('k')).toEqual({ v: 1 });
      expect(b.ns('shared').stats().entries).toBe(1);
    });
    await a.ns('shared').set('k', { v: 2 });
    await eventually(async () => expect(await b.ns('shared').get('k')).toEqual({ v: 2 }));
  });

  itDropsTheOtherInstancesMemory(() => ({ a, b }));

  it('keeps a counter coherent: the other instance never serves an old count', async () => {
    expect(await a.ns('shared').increment('hits')).toBe(1);
    await eventually(async () => {
      expect(await b.ns('shared').get('hits')).toBe(1);
      expect(b.ns('shared').stats().entries).toBe(1);
    });
    expect(await a.ns('shared').increment('hits', 2)).toBe(3);
    await eventually(() => expect(b.ns('shared').stats().entries).toBe(0));
    expect(await b.ns('shared').get('hits')).toBe(3);
  });

  it('converges after a lost message: the receiver notices the gap and drops its memory', async () => {
    await a.ns('shared').set('k', 'v1');
    await eventually(async () => {
      expect(await b.ns('shared').get('k')).toBe('v1');
      expect(b.ns('shared').stats().entries).toBe(1);
    });
    dropOutgoing(busOf(a).transport, 1);
    await a.ns('shared').set('k', 'v2'); // its message is lost
    await a.ns('shared').set('other', 1);
    await eventually(() => expect(b.service.info().backends.bus?.gaps).toBe(1));
    expect(await b.ns('shared').get('k')).toBe('v2');
    expect(b.service.info().backends.bus?.lastGapAt).toEqual(expect.any(String));
  });
});

describe('bus: false on PostgreSQL', () => {
  it('starts no bus', async () => {
    const database = await PostgresDatabase.create();
    const app = await startCacheApp({
      bus: false,
      persistence: { dataSource: { type: 'postgres', url: database.url } },
      namespaces: [{ name: 'shared', tiers: ['memory', 'postgres'] }],
    });
    expect(app.service.info().backends.bus).toBeUndefined();
    await app.close();
    await database.drop();
  });
});
