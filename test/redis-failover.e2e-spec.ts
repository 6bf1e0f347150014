import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

const NAME = 'failovermaster';

describe('Redis Sentinel failover', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  let app: CacheApp;

  beforeEach(async () => {
    master = await RedisServer.start();
    replica = await RedisServer.startReplica(master.port);
    // Started after the replica is in sync, so the Sentinel learns of it from the master at once.
    sentinel = await RedisServer.startSentinel(master.port, NAME);
    app = await startCacheApp({
      redis: {
        sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
        name: NAME,
        commandTimeout: '500ms',
        retryAfter: '200ms',
      },
      // Redis alone: every read below reaches the server, none is answered from memory.
      namespaces: [{ name: 'r', tiers: ['redis'] }],
    });
  }, 20_000);
  afterEach(async () => {
    await app.close();
    await sentinel.stop();
    await replica.stop();
    await master.stop();
  });

  it('keeps Redis keys with native TTLs', async () => {
    const r = app.ns<string>('r');
    await r.set('short', 'v', { ttl: '1m' });
    await r.set('forever', 'v', { ttl: Infinity });
    const admin = new Redis(master.port);
    const pttl = await admin.pttl('{cache:r}:v:short');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await admin.pttl('{cache:r}:v:forever')).toBe(-1);
    await admin.quit();
  });

  it('follows the replica the Sentinel promotes when the master dies', async () => {
    const r = app.ns<string>('r');
    await r.set('k', 'written on the first master', { ttl: '1h' });
    const onMaster = new Redis(master.port);
    // Acknowledged by the replica before the master goes.
    expect(await onMaster.wait(1, 2000)).toBe(1);
    onMaster.disconnect();

    await master.kill();
    const sentinelClient = new Redis(sentinel.port);
    await eventually(async () => {
      const [, port] = (await sentinelClient.call('SENTINEL', 'get-master-addr-by-name', NAME)) as [
        string,
        string,
      ];
      expect(Number(port)).toBe(replica.port);
    }, 20_000);
    sentinelClient.disconnect();

    // The key written before the failover is read from the promoted replica.
    await eventually(
      async () => expect(await r.get('k')).toBe('written on the first master'),
      15_000,
    );
    const promoted = new Redis(replica.port);
    expect((await promoted.info('replication')).includes('role:master')).toBe(true);
    // Writes land on the new master, with their TTL; reads see what it holds.
    await r.set('after', 'written on the promoted replica', { ttl: '1m' });
    expect(await promoted.get('{cache:r}:v:after')).not.toBeNull();
    expect(await promoted.pttl('{cache:r}:v:after')).toBeGreaterThan(0);
    await promoted.del('{cache:r}:v:k');
    expect(await r.get('k')).toBeUndefined();
    await promoted.quit();
  }, 40_000);
});
