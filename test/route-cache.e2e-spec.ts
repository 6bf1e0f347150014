import { Logger, type INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { CacheService, type CacheModuleOptions } from 'nest-tiered-cache';
import { Calls, GlobalCacheModule, routeCacheModule } from './fixtures/route-cache.app';
import { eventually } from './servers/eventually';
import { rawRequest, startHttpApp, utf8Text, type RawResponse } from './servers/http-app';
import { RedisServer } from './servers/redis-server';

function startApp(
  platform: 'express' | 'fastify',
  options?: CacheModuleOptions,
): Promise<INestApplication> {
  return startHttpApp(routeCacheModule(options), {
    adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
  });
}

interface Sent {
  readonly status: number;
  readonly headers: RawResponse['headers'];
  readonly body: unknown;
}

/** One GET exactly as given (see rawRequest), its body parsed when it is a JSON object. */
async function send(
  app: INestApplication,
  path: string,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const response = await rawRequest(app, path, { headers });
  const text = utf8Text(response);
  return {
    status: response.status,
    headers: response.headers,
    body: text.startsWith('{') ? JSON.parse(text) : text,
  };
}

describe.each(['express', 'fastify'] as const)('CacheInterceptor over HTTP (%s)', (platform) => {
  let app: INestApplication;
  let calls: Calls;
  const http = () => request(app.getHttpServer());

  beforeEach(async () => {
    app = await startApp(platform);
    calls = app.get(Calls);
  });
  afterEach(() => app.close());

  it('answers a repeated GET from the cache, with the same body and content type', async () => {
    const first = await http().get('/items?page=1').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await http().get('/items?page=1').expect(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toEqual(first.body);
    expect(second.headers['content-type']).toMatch(/application\/json/);
    expect(calls.count('list')).toBe(1);
  });

  it('keeps the status and the declared headers', async () => {
    await http().get('/items/created').expect(203);
    const hit = await http().get('/items/created').expect(203);
    expect(hit.headers['x-cache']).toBe('HIT');
    await http().get('/items/text').expect(200);
    const text = await http().get('/items/text').expect(200);
    expect(text.text).toBe('plain 1');
    expect(text.headers['content-type']).toMatch(/text\/plain/);
    expect(calls.count('text')).toBe(1);
  });

  it('keys on the sorted query string', async () => {
    await http().get('/items?b=2&a=1').expect(200);
    const reordered = await http().get('/items?a=1&b=2').expect(200);
    expect(reordered.headers['x-cache']).toBe('HIT');
    const other = await http().get('/items?a=1&b=3').expect(200);
    expect(other.headers['x-cache']).toBe('MISS');
    expect(calls.count('list')).toBe(2);
  });

  it('keys on the path', async () => {
    await http().get('/items/1').expect(200);
    await http().get('/items/2').expect(200);
    expect((await http().get('/items/1')).body).toEqual({ id: '1', n: 1 });
    expect(calls.count('one:1')).toBe(1);
    expect(calls.count('one:2')).toBe(1);
  });

  it('never caches errors', async () => {
    await http().get('/items/missing').expect(404);
    const again = await http().get('/items/missing').expect(404);
    expect(again.headers['x-cache']).toBeUndefined();
    expect(calls.count('missing')).toBe(2);
  });

  it('never caches responses that set a cookie', async () => {
    await http().get('/items/cookie').expect(200);
    const again = await http().get('/items/cookie').expect(200);
    expect(again.headers['set-cookie']).toBeDefined();
    expect(again.body).toEqual({ n: 2 });
  });

  it('never caches streamed files', async () => {
    await http().get('/items/file').expect(200);
    const again = await http().get('/items/file').expect(200);
    expect(again.headers['x-cache']).toBeUndefined();
    expect(calls.count('file')).toBe(2);
  });

  it('never caches routes that take the raw response', async () => {
    await http().get('/items/raw').expect(200);
    await http().get('/items/raw').expect(200);
    expect(calls.count('raw')).toBe(2);
  });

  it('passes POST through and evicts by tag after it succeeds, not when it fails', async () => {
    await http().get('/items').expect(200);
    await http().post('/items').send({ fail: true }).expect(404);
    expect((await http().get('/items')).headers['x-cache']).toBe('HIT');
    await http().post('/items').send({}).expect(201);
    expect((await http().get('/items')).headers['x-cache']).toBe('MISS');
    expect(calls.count('list')).toBe(2);
    expect(calls.count('create')).toBe(2);
  });

  it('does not cache a request with credentials unless the route varies on them', async () => {
    await http().get('/items').set('Authorization', 'Bearer alice').expect(200);
    await http().get('/items').set('Authorization', 'Bearer alice').expect(200);
    await http().get('/items').set('Cookie', 'sid=1').expect(200);
    expect(calls.count('list')).toBe(3);
    const anonymous = await http().get('/items').expect(200);
    expect(anonymous.headers['x-cache']).toBe('MISS');
  });

  it('caches per user on a route that varies on Authorization, never across users', async () => {
    const alice = await http().get('/items/me').set('Authorization', 'Bearer alice').expect(200);
    const bob = await http().get('/items/me').set('Authorization', 'Bearer bob').expect(200);
    const aliceAgain = await http()
      .get('/items/me')
      .set('Authorization', 'Bearer alice')
      .expect(200);
    const anonymous = await http().get('/items/me').expect(200);
    expect(alice.body.user).toBe('Bearer alice');
    expect(bob.body.user).toBe('Bearer bob');
    expect(aliceAgain.headers['x-cache']).toBe('HIT');
    expect(aliceAgain.body).toEqual(alice.body);
    expect(anonymous.body.user).toBe('anonymous');
    expect(calls.count('me')).toBe(3);
    expect(alice.headers.vary).toMatch(/Authorization/i);
  });

  it('keys on the headers a route varies on', async () => {
    await http().get('/items/lang').set('Accept-Language', 'fr').expect(200);
    const en = await http().get('/items/lang').set('Accept-Language', 'en').expect(200);
    const fr = await http().get('/items/lang').set('Accept-Language', 'fr').expect(200);
    expect(en.body).toEqual({ language: 'en' });
    expect(fr.body).toEqual({ language: 'fr' });
    expect(fr.headers['x-cache']).toBe('HIT');
  });

  it('cannot be poisoned through X-Forwarded-Host', async () => {
    await http().get('/items/host').set('X-Forwarded-Host', 'evil.example').expect(200);
    const victim = await http().get('/items/host').expect(200);
    expect(victim.body).toEqual({ link: 'https://shop.example/items' });
  });

  it('runs the handler once for concurrent identical misses', async () => {
    calls.hold();
    const pending = [1, 2, 3, 4].map(() =>
      http()
        .get('/items/slow')
        .then((response) => response),
    );
    await eventually(() => expect(calls.count('slow')).toBe(1));
    calls.open();
    const responses = await Promise.all(pending);
    expect(responses.map((response) => response.body)).toEqual([
      { n: 1 },
      { n: 1 },
      { n: 1 },
      { n: 1 },
    ]);
    expect(calls.count('slow')).toBe(1);
  });

  it('runs the handler once for a request whose handler outlasts hardTimeout, and sends what that run produced', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    calls.hold();
    const pending = http()
      .get('/items/late')
      .then((response) => response);
    // The request has fallen back: the cache gave up on the handler's run at the hard timeout.
    await eventually(() =>
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('took longer than 50ms')),
    );
    warn.mockRestore();
    calls.open();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ n: 1 });
    expect(calls.count('late')).toBe(1);
  });

  it('lets a route turn caching off', async () => {
    await http().get('/items/off').expect(200);
    const again = await http().get('/items/off').expect(200);
    expect(again.headers['x-cache']).toBeUndefined();
    expect(calls.count('off')).toBe(2);
  });

  it('caches HEAD apart from GET', async () => {
    await http().get('/items/1').expect(200);
    const firstHead = await http().head('/items/1').expect(200);
    expect(firstHead.headers['x-cache']).toBe('MISS');
    const head = await http().head('/items/1').expect(200);
    expect(head.headers['x-cache']).toBe('HIT');
  });

  it('hands interceptors further out the same kind of body on a hit as on a miss', async () => {
    const miss = await http().get('/items/wrapped').expect(200);
    const hit = await http().get('/items/wrapped').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(miss.body).toEqual({ type: 'object', body: { n: 1 } });
    expect(hit.body).toEqual(miss.body);
  });

  it('applies the method and credential rules to routes with a fixed key too', async () => {
    await http().get('/items/custom').expect(200);
    expect((await http().get('/items/custom')).headers['x-cache']).toBe('HIT');
    const withAuth = await http()
      .get('/items/custom')
      .set('Authorization', 'Bearer bob')
      .expect(200);
    expect(withAuth.headers['x-cache']).toBeUndefined();
    expect(withAuth.body).toEqual({ n: 2 });
    await http().post('/items/custom').expect(201);
    await http().post('/items/custom').expect(201);
    expect(calls.count('customPost')).toBe(2);
  });

  it('keeps the order of repeated query parameters in the key', async () => {
    await http().get('/items?ids=2&ids=1').expect(200);
    const swapped = await http().get('/items?ids=1&ids=2').expect(200);
    expect(swapped.headers['x-cache']).toBe('MISS');
    // One name spelled two ways: a parser reads both as `tag`, in the order sent.
    await http().get('/items?%74ag=2&tag=1').expect(200);
    const respelled = await http().get('/items?tag=1&%74ag=2').expect(200);
    expect(respelled.headers['x-cache']).toBe('MISS');
    expect(respelled.body).toMatchObject({ query: { tag: ['1', '2'] } });
  });

  it.each(['cache-key', 'string', 'function'])(
    'keys a route with an explicit key (%s) on the headers it varies on',
    async (route) => {
      const path = `/profile/${route}`;
      const alice = await http().get(path).set('Authorization', 'Bearer alice').expect(200);
      const bob = await http().get(path).set('Authorization', 'Bearer bob').expect(200);
      const aliceAgain = await http().get(path).set('Authorization', 'Bearer alice').expect(200);
      const anonymous = await http().get(path).expect(200);
      expect(alice.body).toEqual({ user: 'Bearer alice' });
      expect(bob.body).toEqual({ user: 'Bearer bob' });
      expect(aliceAgain.headers['x-cache']).toBe('HIT');
      expect(aliceAgain.body).toEqual({ user: 'Bearer alice' });
      expect(anonymous.body).toEqual({ user: 'anonymous' });
      expect(calls.count('profile')).toBe(3);
    },
  );

  it('does not cache a request whose Host is not a host, so a path in it poisons nothing', async () => {
    const { port } = app.getHttpServer().address() as AddressInfo;
    const forged = await send(app, '/items/1', { host: `127.0.0.1:${port}/b` });
    expect(forged.status).toBe(200);
    expect(forged.headers['x-cache']).toBeUndefined();
    const victim = await send(app, '/b/items/1');
    expect(victim.body).toEqual({ route: 'b', id: '1' });
    for (const host of ['a b', 'a@b', 'a?b', 'a#b', '[::1', '[zz]:80', '999.1.1.1', 'a:80x']) {
      const response = await send(app, '/items/1', { host });
      expect(response.headers['x-cache']).toBeUndefined();
    }
    for (const host of [
      'shop.example',
      'shop.example:8080',
      '[::1]:3000',
      '10.0.0.1',
      'xn--bcher-kva.example',
    ]) {
      await send(app, '/items/2', { host });
      expect((await send(app, '/items/2', { host })).headers['x-cache']).toBe('HIT');
    }
  });

  it('does not cache a target carrying a fragment, which could stand in for another part of a key', async () => {
    await send(app, '/items/host#x');
    const again = await send(app, '/items/host#x');
    expect(again.status).toBe(200);
    expect(again.headers['x-cache']).toBeUndefined();
  });

  it('keys the query on the bytes sent, never on a lossy decoding of them', async () => {
    const first = await send(app, '/items/echo?q=%FF');
    const second = await send(app, '/items/echo?q=%FE');
    expect(first.body).toMatchObject({ url: '/items/echo?q=%FF' });
    expect(second.body).toMatchObject({ url: '/items/echo?q=%FE' });
    expect(second.headers['x-cache']).toBe('MISS');
  });

  it('tells an absent varied header from an empty one', async () => {
    await send(app, '/items/lang');
    const empty = await send(app, '/items/lang', { 'accept-language': '' });
    expect(empty.headers['x-cache']).toBe('MISS');
    expect(empty.body).toEqual({ language: '' });
  });

  it('caches very long URLs, each under its own key', async () => {
    const long = `/items/echo?q=${'x'.repeat(3000)}`;
    await send(app, `${long}1`);
    const hit = await send(app, `${long}1`);
    expect(hit.headers['x-cache']).toBe('HIT');
    const other = await send(app, `${long}2`);
    expect(other.headers['x-cache']).toBe('MISS');
    expect(other.body).toMatchObject({ url: `${long}2` });
  });

  it('never caches server-sent events', async () => {
    const first = await http().get('/items/events').expect(200);
    const again = await http().get('/items/events').expect(200);
    expect(first.text).toContain('"n":1');
    expect(again.text).toContain('"n":2');
    expect(again.headers['x-cache']).toBeUndefined();
  });
});

describe('CacheInterceptor hits on Express: the JSON written once for the stored body', () => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());
  beforeEach(async () => (app = await startApp('express')));
  afterEach(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  it('sends the bytes and headers a miss sent, and answers a conditional GET with 304', async () => {
    const miss = await http().get('/items?page=7').expect(200);
    const hit = await http().get('/items?page=7').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    for (const name of ['content-type', 'content-length', 'etag']) {
      expect(hit.headers[name]).toBe(miss.headers[name]);
    }
    expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
    await http().get('/items?page=7').set('If-None-Match', String(miss.headers.etag)).expect(304);
  });

  it('sends the bytes and headers a miss sent for a JSON body of a type the route declares', async () => {
    const miss = await http().get('/items/typed').expect(200);
    const hit = await http().get('/items/typed').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    for (const name of ['content-type', 'content-length', 'etag']) {
      expect(hit.headers[name]).toBe(miss.headers[name]);
    }
    expect(hit.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
    expect(app.get(Calls).count('typed')).toBe(1);
  });

  it('sends the stored bytes on later hits, without measuring or encoding the text again', async () => {
    await http().get('/items?page=9').expect(200);
    const first = await http().get('/items?page=9').expect(200);
    expect(first.headers['x-cache']).toBe('HIT');
    // Express's send measures (or encodes) a text body as UTF-8 on every call; bytes it takes as
    // they are. (The test's client measures the text it receives, without naming an encoding.)
    const byteLength = jest.spyOn(Buffer, 'byteLength');
    const from = jest.spyOn(Buffer, 'from');
    for (let i = 0; i < 2; i++) {
      const hit = await http().get('/items?page=9').expect(200);
      expect(hit.text).toBe(first.text);
    }
    const ofText = (calls: unknown[][]) =>
      calls.filter(([value, encoding]) => value === first.text && encoding === 'utf8');
    expect(ofText(byteLength.mock.calls)).toEqual([]);
    expect(ofText(from.mock.calls)).toEqual([]);
  });

  it('serializes a stored body once, however many hits send it', async () => {
    await http().get('/items?page=8').expect(200);
    const stringify = jest.spyOn(JSON, 'stringify');
    for (let i = 0; i < 3; i++) {
      expect((await http().get('/items?page=8').expect(200)).headers['x-cache']).toBe('HIT');
    }
    // The stored body is the frozen one; the handler's body (the miss) is not.
    const ofStoredBody = stringify.mock.calls.filter(
      ([value]) =>
        Object.isFrozen(value) && (value as { query?: { page?: string } }).query?.page === '8',
    );
    // The first hit writes its JSON; the next two send that text.
    expect(ofStoredBody).toHaveLength(1);
  });

  it("follows the app's ETag setting, also when it changes", async () => {
    const express = app.getHttpAdapter().getInstance() as {
      set(name: string, value: unknown): void;
    };
    await http().get('/items?page=10').expect(200);
    const weak = await http().get('/items?page=10').expect(200);
    expect(weak.headers.etag).toMatch(/^W\//);
    express.set('etag', 'strong');
    const strong = await http().get('/items?page=10').expect(200);
    expect(strong.headers['x-cache']).toBe('HIT');
    expect(strong.headers.etag).toMatch(/^"/);
    express.set('etag', false);
    const none = await http().get('/items?page=10').expect(200);
    expect(none.headers.etag).toBeUndefined();
    expect(none.text).toBe(weak.text);
  });

  it("leaves an app's own ETag function to Express", async () => {
    const express = app.getHttpAdapter().getInstance() as {
      set(name: string, value: unknown): void;
    };
    // Express hands its ETag function the body as bytes.
    express.set('etag', (body: unknown) => `"${Buffer.isBuffer(body) ? 'bytes' : 'text'}"`);
    const miss = await http().get('/items?page=11').expect(200);
    const hit = await http().get('/items?page=11').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(miss.headers.etag).toBe('"bytes"');
    expect(hit.headers.etag).toBe(miss.headers.etag);
  });

  it("leaves Express's own JSON settings in force", async () => {
    (app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void }).set(
      'json spaces',
      2,
    );
    const miss = await http().get('/items?page=9').expect(200);
    const hit = await http().get('/items?page=9').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(miss.text).toContain('\n  "query"');
    expect(hit.text).toBe(miss.text);
  });
});

describe('CacheInterceptor with a failing cache', () => {
  it('never fails a request: the handler runs when Redis is dead, even in strict mode', async () => {
    const server = await RedisServer.start();
    const app = await startApp('express', {
      strict: true,
      redis: { url: server.url, commandTimeout: '200ms' },
    });
    try {
      await server.kill();
      const response = await request(app.getHttpServer()).get('/items?x=1').expect(200);
      expect(response.body).toEqual({ query: { x: '1' }, n: 1 });
      await request(app.getHttpServer()).get('/items?x=1').expect(200);
      expect(app.get(Calls).count('list')).toBe(2);
    } finally {
      await app.close();
      await server.stop();
    }
  });
});

describe('CacheInterceptor with a frozen Redis', () => {
  it('runs the handler of a route with a hardTimeout once: the timeout counts the handler, not the Redis read', async () => {
    const server = await RedisServer.start();
    const app = await startApp('express', {
      redis: { url: server.url, commandTimeout: '1s', failureThreshold: 100 },
    });
    try {
      // The load is over once it has tried to store what the handler produced.
      const stored = new Promise((resolve) =>
        app
          .get(CacheService)
          .namespace('routes')
          .on('error', ({ operation }) => operation === 'set' && resolve(operation)),
      );
      server.pause();
      const response = await request(app.getHttpServer()).get('/items/late').expect(200);
      expect(response.body).toEqual({ n: 1 });
      await stored;
      expect(app.get(Calls).count('late')).toBe(1);
    } finally {
      server.resume();
      await app.close();
      await server.stop();
    }
  });
});

describe('CacheInterceptor as APP_INTERCEPTOR', () => {
  it('caches every route into the default namespace', async () => {
    const app = await startHttpApp(GlobalCacheModule);
    try {
      await request(app.getHttpServer()).get('/global').expect(200);
      const hit = await request(app.getHttpServer()).get('/global').expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(app.get(Calls).count('global')).toBe(1);
      expect(app.get(CacheService).namespace('pages').stats().entries).toBe(1);
    } finally {
      await app.close();
    }
  });
});
