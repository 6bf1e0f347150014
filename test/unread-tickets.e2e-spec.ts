import { Redis } from 'ioredis';
import { PostgresTier } from '../libs/cache/src/persistence/postgres.tier';
import { StorageStore } from '../libs/cache/src/persistence/storage-store';
import { defineScripts } from '../libs/cache/src/redis/redis-script-commands';
import { RedisTier } from '../libs/cache/src/redis/redis.tier';
import type { CacheTier } from '../libs/cache/src/tiers/cache-tier.interface';
import { entryOf } from '../libs/cache/src/tiers/tier.contract';
import { PostgresDatabase } from './servers/postgres-database';
import { RedisServer } from './servers/redis-server';

/**
 * The ticket of a load whose first read failed (`CacheTier.unreadTicket`) on each shared tier:
 * it stores only where no instance can have changed the key since, which it cannot tell.
 */
describe('unread load tickets', () => {
  let server: RedisServer;
  let redis: Redis;
  let database: PostgresDatabase;
  let store: StorageStore;
  let run = 0;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    database = await PostgresDatabase.create();
    store = await StorageStore.open({ type: 'postgres', url: database.url }, 'app', true);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
    await store.close();
    await database.drop();
  });

  const tiers: Array<[string, (namespace: string) => CacheTier]> = [
    ['redis', (namespace) => new RedisTier(defineScripts(redis), 'app', namespace)],
    ['postgres', (namespace) => new PostgresTier(async () => store, namespace)],
  ];

  describe.each(tiers)('%s', (_, tierFor) => {
    let tier: CacheTier;
    let unread: NonNullable<CacheTier['unreadTicket']>;
    beforeEach(() => {
      tier = tierFor(`ns${++run}`);
      unread = () => (tier.unreadTicket as NonNullable<CacheTier['unreadTicket']>)();
    });

    it('stores a key nobody touched', async () => {
      expect(await tier.setUnlessChanged?.('k', entryOf('loaded'), unread())).toBe(true);
      expect((await tier.get('k'))?.value).toBe('loaded');
    });

    it('does not store over a value', async () => {
      await tier.set('k', entryOf('written'));
      expect(await tier.setUnlessChanged?.('k', entryOf('loaded'), unread())).toBe(false);
      expect((await tier.get('k'))?.value).toBe('written');
    });

    it('does not store over a delete', async () => {
      await tier.set('k', entryOf('written'));
      await tier.delete(['k']);
      expect(await tier.setUnlessChanged?.('k', entryOf('loaded'), unread())).toBe(false);
      expect(await tier.get('k')).toBeUndefined();
    });

    it('does not store after a clear', async () => {
      await tier.clear();
      expect(await tier.setUnlessChanged?.('k', entryOf('loaded'), unread())).toBe(false);
    });
  });
});
