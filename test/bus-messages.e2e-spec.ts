import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

describe('bus messages from anyone who can publish on the channel', () => {
  let server: RedisServer;
  let admin: Redis;
  let app: CacheApp;

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
    app = await startCacheApp({
      prefix: 'msgs',
      redis: { url: server.url },
      namespaces: ['shared'],
    });
  });
  afterAll(async () => {
    await app.close();
    await admin.quit();
    await server.stop();
  });

  const publish = (fields: object): Promise<number> =>
    admin.publish('msgs:cache-bus', JSON.stringify({ s: 'other', n: 'shared', ...fields }));

  it('ignores a message whose fields have the wrong types, and goes on hearing the others', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await app.ns('shared').set('k', 1, { tags: ['t'] });
    expect(app.ns('shared').stats().entries).toBe(1);
    const crafted = [
      { k: 5 },
      { k: [{}] },
      { t: { length: 1 } },
      { t: 't' },
      { p: 5 },
      { c: 'no' },
      { b: 'late' },
    ];
    // A receiver that threw would surface as an uncaught exception in the subscriber's socket.
    for (const fields of crafted) await publish(fields);
    await eventually(() =>
      expect(warn.mock.calls.filter(([text]) => String(text).includes('malformed'))).toHaveLength(
        crafted.length,
      ),
    );
    // None was applied: memory still holds k, until a well-formed message drops it.
    expect(app.ns('shared').stats().entries).toBe(1);
    await publish({ k: ['k'] });
    await eventually(() => expect(app.ns('shared').stats().entries).toBe(0));
    warn.mockRestore();
  });
});
