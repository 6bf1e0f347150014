import { Cluster, Redis } from 'ioredis';
import { mastersOf, type RedisClient } from '../libs/cache/src/redis/redis-connection';
import { defineScripts } from '../libs/cache/src/redis/redis-script-commands';
import { unlinkNamespace } from '../libs/cache/src/redis/redis-scan';
import { RedisTier } from '../libs/cache/src/redis/redis.tier';
import { describeTierContract, entryOf } from '../libs/cache/src/tiers/tier.contract';
import { freePort } from './servers/free-port';
import { RedisClusterServers, RedisServer } from './servers/redis-server';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['standalone', false],
  ['cluster', true],
])('Redis tier (%s)', (_label, clustered) => {
  let standalone: RedisServer | undefined;
  let cluster: RedisClusterServers | undefined;
  let client: RedisClient;
  let prefix = '';
  let run = 0;

  beforeAll(async () => {
    if (clustered) {
      cluster = await RedisClusterServers.start(3);
      client = new Cluster(cluster.seeds, { enableAutoPipelining: true });
    } else {
      standalone = await RedisServer.start();
      client = new Redis(standalone.url, { enableAutoPipelining: true });
    }
    defineScripts(client);
  }, 60_000);

  afterAll(async () => {
    await client.quit();
    await standalone?.stop();
    await cluster?.stop();
  });

  beforeEach(() => {
    prefix = `t${++run}`;
  });

  const tierFor = (namespace: string): RedisTier =>
    new RedisTier(defineScripts(client), prefix, namespace);

  describeTierContract(clustered ? 'redis cluster' : 'redis', {
    create: tierFor,
    advance: (ms) => sleep(ms),
  });

  it('removes by any number of tags in one call', async () => {
    const tier = tierFor('many-tags');
    // More than a call's spread arguments can hold: the tags go in batches.
    const tags = Array.from({ length: 150_000 }, (_, i) => `t${i}`);
    await tier.set('first', entryOf(1, { tags: [tags[0]] }));
    await tier.set('last', entryOf(2, { tags: [tags[tags.length - 1]] }));
    await tier.set('other', entryOf(3, { tags: ['elsewhere'] }));
    const removed = await tier.deleteByTags(tags);
    expect([...removed.held].sort()).toEqual(['first', 'last']);
    expect(await tier.get('first')).toBeUndefined();
    expect(await tier.get('other')).toBeDefined();
  });

  it('keeps every key of a namespace on one hash slot', async () => {
    const tier = tierFor('slots');
    await tier.set('a', entryOf(1, { tags: ['t'], indexes: { i: 'v' } }));
    const keys: string[] = [];
    for (const node of clustered ? (client as Cluster).nodes('master') : [client as Redis]) {
      keys.push(...(await node.keys(`{${prefix}:slots}*`)));
    }
    expect(keys.sort()).toEqual([
      `{${prefix}:slots}:i:["i","v"]`,
      `{${prefix}:slots}:t:t`,
      `{${prefix}:slots}:v:a`,
    ]);
  });

  it('runs its scripts on servers that forgot them, one by one and in a batch', async () => {
    const tier = tierFor('flushed');
    const forget = async (): Promise<void> => {
      for (const node of mastersOf(client)) await node.script('FLUSH');
    };
    await forget();
    await tier.set('a', entryOf(1, { tags: ['t'] }));
    expect(await tier.setIfAbsent('a', entryOf(9))).toBe(false);
    await forget();
    expect(
      await tier.setManyIfAbsent([
        ['a', entryOf(2)],
        ['b', entryOf(3)],
        ['c', entryOf(4, { tags: ['t'] })],
      ]),
    ).toEqual([false, true, true]);
    expect((await tier.getMany(['a', 'b', 'c'])).map((entry) => entry?.value)).toEqual([1, 3, 4]);
    expect([...(await tier.deleteByTags(['t'])).held].sort()).toEqual(['a', 'c']);
  });

  it('gives tag and index sets the lifetime of their longest-lived member', async () => {
    const tier = tierFor('ttl');
    await tier.set('a', entryOf(1, { tags: ['t'], expiresAt: Date.now() + 10_000 }));
    await tier.set('b', entryOf(2, { tags: ['t'], expiresAt: Date.now() + 60_000 }));
    const ttl = await client.pttl(`{${prefix}:ttl}:t:t`);
    expect(ttl).toBeGreaterThan(50_000);
    await tier.set('c', entryOf(3, { tags: ['t'] }));
    expect(await client.pttl(`{${prefix}:ttl}:t:t`)).toBe(-1);
  });

  it('reads an undecodable value as a miss, reports it and deletes it', async () => {
    const corrupt: string[] = [];
    const tier = new RedisTier(defineScripts(client), prefix, 'bad', (key) => corrupt.push(key));
    await client.set(`{${prefix}:bad}:v:k`, 'not an entry');
    expect(await tier.get('k')).toBeUndefined();
    expect(corrupt).toEqual(['k']);
    await sleep(20);
    expect(await client.exists(`{${prefix}:bad}:v:k`)).toBe(0);
  });

  it('deletes, overwrites and refuses to count a value it cannot read', async () => {
    const tier = tierFor('corrupt');
    const vkey = (key: string): string => `{${prefix}:corrupt}:v:${key}`;
    for (const key of ['d', 's', 'i', 'e']) await client.set(vkey(key), 'garbage');
    expect(await tier.delete(['d'])).toEqual({ held: ['d'], stale: [] });
    expect(await client.exists(vkey('d'))).toBe(0);
    await tier.set('s', entryOf('fresh', { tags: ['t'] }));
    expect((await tier.get('s'))?.value).toBe('fresh');
    const template = { expiresAt: Infinity, persistence: entryOf(0).persistence };
    await expect(tier.increment('i', 1, template)).rejects.toMatchObject({
      code: 'E_CACHE_WRONG_TYPE',
    });
    expect(await tier.expire('e', Date.now() + 1000)).toBe(false);
  });

  it('matches ? against one character, whatever its bytes', async () => {
    const tier = tierFor('unicode');
    await tier.set('aé', entryOf(1));
    await tier.set('ab', entryOf(2));
    await tier.set('abc', entryOf(3));
    expect([...(await tier.deleteMatching('a?')).held].sort()).toEqual(['ab', 'aé']);
    expect((await tier.get('abc'))?.value).toBe(3);
  });

  it('leaves load locks alone on clear', async () => {
    const tier = tierFor('locks');
    const token = await tier.acquireLock('k', 10_000);
    expect(token).toBeDefined();
    await tier.set('x', entryOf(1));
    expect(await tier.clear()).toBe(1);
    expect(await tier.acquireLock('k', 10_000)).toBeUndefined();
    await tier.releaseLock('k', token as string);
    expect(await tier.acquireLock('k', 10_000)).toBeDefined();
  });

  it('clears large values without reading them whole into its script', async () => {
    const tier = tierFor('large');
    // Memory the servers' Lua holds: a script that read each value would hold megabytes.
    const scriptMemory = async (): Promise<number> => {
      let bytes = 0;
      for (const node of mastersOf(client)) {
        bytes += Number(/used_memory_(?:vm_eval|lua):(\d+)/.exec(await node.info('memory'))?.[1]);
      }
      return bytes;
    };
    const large = 'x'.repeat(2 ** 22);
    const now = Date.now();
    for (const key of ['a', 'b', 'c', 'd']) await tier.set(key, entryOf(large));
    await tier.set('stale', entryOf(large, { expiresAt: now - 1, graceUntil: now + 60_000 }));
    // A meta line that runs past the first piece the script reads.
    const tags = Array.from({ length: 40 }, (_, i) => `tag-${i}`);
    await tier.set('tagged', entryOf(large, { tags }));
    await client.set(`{${prefix}:large}:v:foreign`, large);
    // Not entries either: one line, short and past the first piece.
    await client.set(`{${prefix}:large}:v:short`, `${now + 60_000}\n{}`);
    await client.set(`{${prefix}:large}:v:long`, `${now + 60_000}\n${'y'.repeat(1000)}`);
    const before = await scriptMemory();
    expect(await tier.clear()).toBe(5);
    // Each piece read is garbage at once; a value read whole would leave a copy of it.
    expect((await scriptMemory()) - before).toBeLessThan(large.length / 4);
    expect(await tier.usage()).toMatchObject({ entries: 0 });
  });

  it('keeps the delete marks its walk meets: a load begun during a clear stores nothing over a delete made since', async () => {
    const tier = tierFor('marks');
    // A clear moves the namespace's epoch (as this pattern delete does), then walks the namespace
    // (`unlinkNamespace`); a load, a write and a delete of one key land between the two.
    await tier.deleteMatching('none');
    const { ticket } = await tier.readForLoad('k');
    await tier.set('k', entryOf('written'));
    await tier.delete(['k']);
    await unlinkNamespace(defineScripts(client), `{${prefix}:marks}`);
    // The load read no value and none is there now, but a delete came after it began.
    expect(await tier.setUnlessChanged('k', entryOf('loaded'), ticket)).toBe(false);
    expect(await tier.get('k')).toBeUndefined();
  });

  it('keeps the tag and index sets of an entry written while it walks: tags and indexes still find it', async () => {
    const tier = tierFor('racing');
    const scripted = defineScripts(client);
    // The client the walk uses, on which a write lands once a page's values are unlinked.
    let racing: (() => Promise<void>) | undefined = () =>
      tier.set('new', entryOf(2, { tags: ['t'], indexes: { i: 'v' } }));
    const walker = new Proxy(scripted, {
      get(target, name) {
        const member: unknown = Reflect.get(target, name, target);
        if (typeof member !== 'function') return member;
        if (name !== 'cacheUnlinkValues') return member.bind(target);
        return async (...args: unknown[]) => {
          const count: unknown = await member.apply(target, args);
          const write = racing;
          racing = undefined;
          await write?.();
          return count;
        };
      },
    });
    await tier.set('old', entryOf(1, { tags: ['t'], indexes: { i: 'v' } }));
    await tier.deleteMatching('none');
    expect(await unlinkNamespace(walker, `{${prefix}:racing}`)).toBe(1);
    expect(racing).toBeUndefined();
    expect(await tier.keysByIndex('i', 'v')).toEqual(['new']);
    expect(await tier.deleteByTags(['t'])).toEqual({ held: ['new'], stale: [] });
  });

  it('keeps large integers and fractions exact through increment', async () => {
    const tier = tierFor('numbers');
    const template = { expiresAt: Infinity, persistence: entryOf(0).persistence };
    expect(await tier.increment('big', 2 ** 53 - 2, template)).toBe(2 ** 53 - 2);
    expect(await tier.increment('big', 1, template)).toBe(2 ** 53 - 1);
    expect(await tier.increment('f', 0.1, template)).toBe(0.1);
    expect(await tier.increment('f', 0.2, template)).toBe(0.1 + 0.2);
  });

  it('never lets a glob reach another namespace sharing the prefix', async () => {
    const mine = tierFor('a');
    const theirs = tierFor('ab');
    await mine.set('x', entryOf(1));
    await theirs.set('x', entryOf(2));
    await theirs.set('}:v:x', entryOf(3));
    expect(await mine.deleteMatching('*')).toEqual({ held: ['x'], stale: [] });
    expect((await theirs.get('x'))?.value).toBe(2);
    expect(await mine.clear()).toBe(0);
    expect((await theirs.get('}:v:x'))?.value).toBe(3);
  });
});

describe('Redis tier on a Cluster with no reachable node', () => {
  it('fails clear and pattern deletes instead of reporting a false success', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: await freePort() }], {
      clusterRetryStrategy: () => null,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    cluster.on('error', () => undefined);
    const tier = new RedisTier(defineScripts(cluster), 'dead', 'ns');
    await expect(tier.clear()).rejects.toThrow();
    await expect(tier.deleteMatching('*')).rejects.toThrow();
    cluster.disconnect();
  });
});
