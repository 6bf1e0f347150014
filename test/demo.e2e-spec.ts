import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheService } from 'nest-tiered-cache';
import { AppModule } from '../apps/demo/src/app.module';
import { DemoClient } from './servers/demo-client';
import { DemoEventStream } from './servers/demo-events';
import { eventually } from './servers/eventually';
import { clearOfMinuteBoundary } from './servers/minute-boundary';
import { sqliteRows } from './servers/sqlite-rows';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The chat demo in this process on its embedded default: no Redis, no PostgreSQL. */
describe('the chat demo over HTTP (no server needed)', () => {
  let app: INestApplication;
  let dir: string;
  let store: string;
  let base: string;
  let ada: DemoClient;
  let alan: DemoClient;

  const stats = async (namespace: string) =>
    (await new DemoClient(base).get('/cache/stats')).body[namespace];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-demo-'));
    store = join(dir, 'demo.sqlite');
    process.env.SQLITE_PATH = store;
    process.env.RATE_LIMIT_PER_MINUTE = '3';
    process.env.DIGEST_INTERVAL = '1h';
    process.env.ADMIN_TOKEN = 'operator-secret';
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    ada = await DemoClient.login(base, 'ada@example.com');
    alan = await DemoClient.login(base, 'alan@example.com');
  });

  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what it is on GET /', async () => {
    const home = await new DemoClient(base).get('/');
    expect(home.status).toBe(200);
    expect(home.body.name).toContain('chat service');
    expect(home.body.routes.join('\n')).toContain('GET /chats/:id/search');
  });

  it('serves users cache-aside: active users warmed at start, unknown ids not cached, renames stored', async () => {
    const anonymous = new DemoClient(base);
    expect((await anonymous.get('/users/1')).body).toEqual({ id: 1, name: 'Ada Lovelace' });
    // Warmed at start: the first read is already a hit.
    expect(await stats('userRecords')).toMatchObject({ hits: 1, misses: 0, loaderCalls: 0 });
    // Linus was not active lately: loaded on first read, then a hit.
    await anonymous.get('/users/4');
    await anonymous.get('/users/4');
    expect(await stats('userRecords')).toMatchObject({ hits: 2, misses: 1, loaderCalls: 1 });
    const entries = (await stats('userRecords')).entries;
    expect((await anonymous.get('/users/999')).status).toBe(404);
    expect((await stats('userRecords')).entries).toBe(entries);
    expect((await ada.patch('/me', { name: 'Ada King' })).status).toBe(200);
    const before = await stats('userRecords');
    expect((await anonymous.get('/users/1')).body.name).toBe('Ada King');
    // @CachePut stored the renamed user: the read after the edit is a hit, with no query.
    expect(await stats('userRecords')).toMatchObject({
      hits: before.hits + 1,
      loaderCalls: before.loaderCalls,
    });
  });

  it("lists a chat's member profiles, loading the uncached ones in one batch", async () => {
    expect((await alan.get('/chats/1/members')).body).toEqual([
      { id: 1, name: 'Ada Lovelace', role: 'owner' },
      { id: 2, name: 'Alan Turing', role: 'member' },
      { id: 3, name: 'Grace Hopper', role: 'member' },
    ]);
    // Every member was warmed at start: no query for profiles.
    expect((await stats('userRecords')).loaderCalls).toBe(0);
    // Two users nobody cached join: Linus (not active lately) and a new signup.
    const linus = await DemoClient.login(base, 'linus@example.com');
    const { code } = (
      await new DemoClient(base).post('/auth/signup', {
        email: 'kay@example.com',
        name: 'Alan Kay',
      })
    ).body;
    const kay = new DemoClient(
      base,
      (await new DemoClient(base).post('/auth/confirm', { email: 'kay@example.com', code })).body
        .token,
    );
    await linus.post('/chats/1/join');
    await kay.post('/chats/1/join');
    const members = (await alan.get('/chats/1/members')).body;
    expect(members.map((member: { name: string }) => member.name)).toEqual([
      'Ada Lovelace',
      'Alan Turing',
      'Grace Hopper',
      'Linus Pauling',
      'Alan Kay',
    ]);
    expect((await stats('userRecords')).loaderCalls).toBe(1);
    await alan.get('/chats/1/members');
    expect((await stats('userRecords')).loaderCalls).toBe(1);
    expect((await ada.get('/chats/2/members')).status).toBe(403);
  });

  it('renews a session in use once less than half of its day is left (getTtl, expire)', async () => {
    const fresh = (await ada.get('/auth/session')).body;
    expect(fresh).toMatchObject({ userId: 1 });
    expect(fresh.expiresInMs).toBeGreaterThan(23 * HOUR);
    expect(fresh.expiresInMs).toBeLessThanOrEqual(24 * HOUR);
    const sessions = app.get(CacheService).namespace('session');
    // An hour left: the next request renews it to a full day.
    await sessions.expire(ada.token as string, '1h');
    expect((await ada.get('/auth/session')).body.expiresInMs).toBeGreaterThan(23 * HOUR);
    // Fifteen hours left: more than half, so it is left alone.
    await sessions.expire(ada.token as string, '15h');
    expect((await ada.get('/auth/session')).body.expiresInMs).toBeLessThanOrEqual(15 * HOUR);
    // A request within the session's last millisecond would rightly renew it: the session is
    // first seen gone, then the request is refused.
    await sessions.expire(ada.token as string, 1);
    await eventually(async () => expect(await sessions.get(ada.token as string)).toBeUndefined());
    expect((await ada.get('/auth/session')).status).toBe(401);
  });

  it('reloads a hot chat header in the background in the last fifth of its TTL (refreshAhead)', async () => {
    await alan.get('/chats/1');
    const chats = app.get(CacheService).namespace('chats');
    const loads = (await stats('chats')).loaderCalls;
    // A minute of its hour left: this read is served at once and starts one reload.
    await chats.expire('info:1', '1m');
    expect((await alan.get('/chats/1')).body.info).toMatchObject({ id: 1, title: 'general' });
    await eventually(async () => expect(await chats.getTtl('info:1')).toBeGreaterThan(50 * MINUTE));
    expect((await stats('chats')).loaderCalls).toBe(loads + 1);
    await alan.get('/chats/1');
    expect((await stats('chats')).loaderCalls).toBe(loads + 1);
  });

  it("pushes a chat's changes to its listeners as server-sent events (onInvalidate)", async () => {
    // What a client shows: the header and the recent messages, both cached now.
    await alan.get('/chats/1');
    await alan.get('/chats/1/messages');
    const events = await DemoEventStream.open(alan, '/chats/1/events');
    try {
      expect(await events.next()).toEqual({ type: 'ready', data: { chatId: 1 } });
      await ada.patch('/chats/1/settings', { topic: 'engines' });
      expect(await events.next()).toEqual({ type: 'header', data: { chatId: 1 } });
      expect((await alan.get('/chats/1')).body.info.topic).toBe('engines');
      await alan.get('/chats/1/messages');
      await ada.post('/chats/1/messages', { text: 'Notes on the engine' });
      const next = [await events.next(), await events.next()].map((event) => event.type).sort();
      expect(next).toEqual(['header', 'messages']);
    } finally {
      events.close();
    }
    expect((await ada.get('/chats/2/events')).status).toBe(403);
  });

  it('keeps chat topics in the cache only, listed per chat through an index', async () => {
    const opened = await alan.post('/chats/1/topics', { title: 'Difference engine' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      chatId: 1,
      title: 'Difference engine',
      openedBy: 2,
      closedAt: null,
    });
    await ada.post('/chats/1/topics', { title: 'Notes' });
    const closed = await ada.post(`/chats/1/topics/${opened.body.id}/close`);
    expect(closed.body.closedAt).not.toBeNull();
    expect((await alan.get('/chats/1/topics')).body.map((t: { title: string }) => t.title)).toEqual(
      ['Difference engine', 'Notes'],
    );
    expect((await ada.post('/chats/1/topics/00000000/close')).status).toBe(404);
    expect((await ada.get('/chats/2/topics')).status).toBe(403);
    // Not written until shutdown (ON_SHUTDOWN).
    expect(await stats('topics')).toMatchObject({ entries: 2, persistent: 2 });
    expect(await sqliteRows(store, 'topics')).toEqual([]);
  });

  it('caches GET /me per user, and evicts it when memberships change', async () => {
    const first = await ada.get('/me');
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.body.user.email).toBe('ada@example.com');
    const again = await ada.get('/me');
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.body).toEqual(first.body);
    // Another user never gets Ada's cached answer.
    const other = await alan.get('/me');
    expect(other.headers.get('x-cache')).toBe('MISS');
    expect(other.body.user.email).toBe('alan@example.com');
    expect((await new DemoClient(base).get('/me')).status).toBe(401);
    const created = await ada.post('/chats', { title: 'poetry' });
    expect(created.status).toBe(201);
    const after = await ada.get('/me');
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.body.chats.map((chat: { title: string }) => chat.title)).toEqual([
      'general',
      'poetry',
    ]);
  });

  it('signs up with a one-time confirmation code', async () => {
    const anonymous = new DemoClient(base);
    const signup = await anonymous.post('/auth/signup', {
      email: 'kay@example.com',
      name: 'Alan Kay',
    });
    expect(signup.status).toBe(201);
    const kayConfirms = (code: string, email = 'kay@example.com') =>
      anonymous.post('/auth/confirm', { email, code });
    expect((await kayConfirms('000000')).status).toBe(404);
    // A code confirms only the email it was sent for.
    expect((await kayConfirms(signup.body.code, 'eve@example.com')).status).toBe(404);
    const confirmed = await kayConfirms(signup.body.code);
    expect(confirmed.status).toBe(201);
    expect(confirmed.body.user).toMatchObject({ email: 'kay@example.com', name: 'Alan Kay' });
    // Used once: the code is gone.
    expect((await kayConfirms(signup.body.code)).status).toBe(404);
    const kay = new DemoClient(base, confirmed.body.token);
    expect((await kay.get('/me')).body.user.name).toBe('Alan Kay');
    expect(
      (await anonymous.post('/auth/signup', { email: 'kay@example.com', name: 'K' })).status,
    ).toBe(409);
    expect(
      (await anonymous.post('/auth/signup', { email: 'not-an-email', name: 'K' })).body.message,
    ).toBe('email: "not-an-email" is not an email address');
  });

  it('lists pending confirmations by owner and runs them once, for their owner only', async () => {
    const request = await ada.post('/chats/1/delete-request');
    expect(request.status).toBe(201);
    expect((await ada.get('/me/pending')).body).toEqual([
      { kind: 'delete-chat', chatId: 1, userId: 1 },
    ]);
    expect((await alan.get('/me/pending')).body).toEqual([]);
    expect((await alan.post('/chats/1/delete-request')).status).toBe(403);
    expect((await alan.delete(`/chats/1?code=${request.body.code}`)).status).toBe(404);
    expect((await ada.delete(`/chats/1?code=${request.body.code}`)).body).toEqual({ deleted: 1 });
    expect((await ada.get('/me/pending')).body).toEqual([]);
    expect((await ada.get('/chats/1')).status).toBe(404);
  });

  it('writes chat settings to the store before answering (ON_CHANGE), owners only', async () => {
    const saved = await ada.patch('/chats/1/settings', { topic: 'welcome', maxMessageLength: 10 });
    expect(saved.body).toEqual({ topic: 'welcome', maxMessageLength: 10 });
    const rows = await sqliteRows(store, 'chats');
    expect(
      rows.filter((row) => row.key === 'settings:1').map((row) => JSON.parse(row.value)),
    ).toEqual([{ topic: 'welcome', maxMessageLength: 10 }]);
    expect((await alan.patch('/chats/1/settings', { topic: 'mine' })).status).toBe(403);
    const tooLong = await alan.post('/chats/1/messages', { text: 'eleven chars' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toBe('text: at most 10 characters in this chat');
    expect((await ada.get('/chats/1')).body.settings.topic).toBe('welcome');
  });

  it('caches recent messages and searches; a new message drops them by pattern, an edit by tag', async () => {
    const search = '/chats/1/search?q=MACHINES';
    expect((await alan.get(search)).body.map((m: { id: number }) => m.id)).toEqual([2]);
    const before = await stats('messages');
    expect(
      (await ada.get('/chats/1/search?q=machines')).body.map((m: { id: number }) => m.id),
    ).toEqual([2]);
    // Same words in another case: the same key, a hit.
    expect((await stats('messages')).hits).toBe(before.hits + 1);
    const posted = await ada.post('/chats/1/messages', { text: 'Machines will think' });
    expect(posted.status).toBe(201);
    expect((await alan.get(search)).body.map((m: { id: number }) => m.id)).toEqual([
      posted.body.id,
      2,
    ]);
    const recent = await alan.get('/chats/1/messages?limit=2');
    expect(recent.body.map((m: { text: string }) => m.text)).toEqual([
      'It is easier to ask forgiveness.',
      'Machines will think',
    ]);
    expect((await alan.patch(`/messages/${posted.body.id}`, { text: 'no' })).status).toBe(403);
    await ada.patch(`/messages/${posted.body.id}`, { text: 'Machines do think' });
    expect((await alan.get('/chats/1/messages?limit=1')).body[0].text).toBe('Machines do think');
    expect((await alan.get(search)).body[0].text).toBe('Machines do think');
    // Not a member of "compilers": neither its messages nor its searches.
    expect((await ada.get('/chats/2/messages')).status).toBe(403);
    expect((await ada.get('/chats/2/search?q=a')).status).toBe(403);
  });

  it('answers 429 past the per-minute limit, per user', async () => {
    await clearOfMinuteBoundary();
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await ada.post('/chats/1/messages', { text: `m${i}` })).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await ada.post('/chats/1/messages', { text: 'again' });
    expect(limited.body.message).toMatch(/^rate limit: 3 messages per minute/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await alan.post('/chats/1/messages', { text: 'still fine' })).status).toBe(201);
  }, 30_000);

  it('keeps UI state in memory only, and typing indicators per chat', async () => {
    expect((await ada.put('/me/ui', { theme: 'dark', openChatId: 1 })).body).toEqual({
      theme: 'dark',
      openChatId: 1,
      draft: '',
    });
    expect((await ada.get('/me/ui')).body.theme).toBe('dark');
    expect((await alan.get('/me/ui')).body.theme).toBe('light');
    expect((await ada.put('/me/ui', { theme: 'neon' })).status).toBe(400);
    expect(await stats('users')).toMatchObject({ entries: 1, persistent: 0, memoryOnly: 1 });
    expect(await sqliteRows(store, 'users')).toEqual([]);
    expect((await ada.post('/chats/1/typing')).status).toBe(204);
    expect((await alan.post('/chats/1/typing')).status).toBe(204);
    expect((await alan.get('/chats/1/typing')).body).toEqual({ userIds: [1, 2] });
    expect((await ada.post('/chats/2/typing')).status).toBe(403);
  });

  it('ends one session on logout, and every session of a user through the index', async () => {
    const second = await DemoClient.login(base, 'ada@example.com');
    expect((await ada.post('/auth/logout')).status).toBe(204);
    expect((await ada.get('/me')).status).toBe(401);
    expect((await second.get('/me')).status).toBe(200);
    const third = await DemoClient.login(base, 'ada@example.com');
    expect((await third.delete('/auth/sessions')).body).toEqual({ ended: 2 });
    expect((await second.get('/me/ui')).status).toBe(401);
    expect((await alan.get('/me/ui')).status).toBe(200);
  });

  it('runs the digest once per window', async () => {
    const first = await new DemoClient(base).post('/jobs/digest');
    expect(first.body.ran).toBe(true);
    const second = await new DemoClient(base).post('/jobs/digest');
    expect(second.body).toMatchObject({ ran: false, window: first.body.window });
    const latest = (await new DemoClient(base).get('/jobs/digest')).body.latest;
    expect(latest).toMatchObject({
      window: first.body.window,
      messagesPerChat: { '1': 3, '2': 1 },
    });
  });

  it('stops guessing: after 5 wrong codes for an email, even the right one waits', async () => {
    const anonymous = new DemoClient(base);
    const { code } = (await anonymous.post('/auth/signup', { email: 'mal@example.com', name: 'M' }))
      .body;
    const wrong = code === '100000' ? '100001' : '100000';
    for (let i = 0; i < 5; i++)
      expect(
        (await anonymous.post('/auth/confirm', { email: 'mal@example.com', code: wrong })).status,
      ).toBe(404);
    const blocked = await anonymous.post('/auth/confirm', { email: 'mal@example.com', code });
    expect(blocked.status).toBe(429);
  });

  it('joins and leaves chats: counts, access and the cached GET /me follow', async () => {
    const ada2 = await ada.get('/me');
    expect(ada2.body.chats.map((chat: { id: number }) => chat.id)).toEqual([1]);
    expect((await ada.get('/me')).headers.get('x-cache')).toBe('HIT');
    expect((await ada.get('/chats/2')).status).toBe(403);
    const joined = await ada.post('/chats/2/join');
    expect(joined.body).toMatchObject({ id: 2, members: 3 });
    expect((await ada.post('/chats/2/join')).body.members).toBe(3);
    const me = await ada.get('/me');
    expect(me.headers.get('x-cache')).toBe('MISS');
    expect(me.body.chats.map((chat: { id: number }) => chat.id)).toEqual([1, 2]);
    expect((await ada.get('/chats/2/messages')).status).toBe(200);
    expect((await ada.post('/chats/2/leave')).body.members).toBe(2);
    // Leaving revokes access at once: the cached membership went with it.
    expect((await ada.get('/chats/2/messages')).status).toBe(403);
    expect((await ada.get('/chats/2')).status).toBe(403);
    // The owner deletes a chat instead of leaving it.
    expect((await ada.post('/chats/1/leave')).status).toBe(403);
    expect((await ada.post('/chats/999/join')).status).toBe(404);
  });

  it('evicts the cached GET /me when the user renames', async () => {
    await ada.get('/me');
    expect((await ada.get('/me')).headers.get('x-cache')).toBe('HIT');
    await ada.patch('/me', { name: 'Countess of Lovelace' });
    const me = await ada.get('/me');
    expect(me.headers.get('x-cache')).toBe('MISS');
    expect(me.body.user.name).toBe('Countess of Lovelace');
  });

  it('drops every cached entry of a deleted chat', async () => {
    await alan.get('/chats/1/messages');
    await alan.get('/chats/1/search?q=think');
    const before = (await stats('messages')).entries;
    expect(before).toBe(2);
    const { code } = (await ada.post('/chats/1/delete-request')).body;
    await ada.delete(`/chats/1?code=${code}`);
    expect((await stats('messages')).entries).toBe(0);
    expect((await alan.get('/chats/1/messages')).status).toBe(404);
  });

  it('answers 400 naming the field for bad or missing input, never 500', async () => {
    const noBody = await ada.call('POST', '/chats');
    expect(noBody.status).toBe(400);
    expect(noBody.body.message).toBe('title: a non-empty string is required');
    expect((await ada.post('/chats', ['general'])).body.message).toBe(
      'the body must be a JSON object',
    );
    expect((await new DemoClient(base).call('POST', '/auth/login')).body.message).toBe(
      'email: a non-empty string is required',
    );
    expect((await ada.patch('/chats/1/settings', { topic: 5 })).body.message).toBe(
      'topic: a string is required',
    );
    expect((await ada.get('/chats/9999999999')).body.message).toBe('id: "9999999999" is not an id');
    expect((await ada.get('/chats/1/search')).body.message).toBe(
      'q: a non-empty string is required',
    );
    expect((await ada.get('/chats/1/messages?limit=0')).body.message).toBe(
      'limit: an integer from 1 to 50 is required',
    );
    await ada.patch('/chats/1/settings', { maxMessageLength: 5 });
    // Edits keep to the chat's limit too.
    expect((await ada.patch('/messages/1', { text: 'far too long' })).status).toBe(400);
  });

  it('clears every cache only with the operator token', async () => {
    const anonymous = new DemoClient(base);
    expect((await anonymous.delete('/cache')).status).toBe(403);
    const cleared = await anonymous.call('DELETE', '/cache', undefined, {
      'x-admin-token': 'operator-secret',
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.cleared).toBeGreaterThan(0);
  });

  it('exposes its caches: stats, Prometheus metrics, health and configuration', async () => {
    await alan.get('/users/2');
    const metrics = await new DemoClient(base).get('/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    expect(metrics.body).toContain('cache_hits_total{namespace="userRecords"} 1');
    expect(metrics.body).toContain('cache_operation_duration_seconds_bucket');
    const health = await new DemoClient(base).get('/cache/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'up', persistence: { healthy: true } });
    const info = (await new DemoClient(base).get('/cache/info')).body;
    expect(info.prefix).toBe('chat');
    expect(info.namespaces.map((n: { name: string }) => n.name).sort()).toEqual([
      'chatUsers',
      'chats',
      'confirmation',
      'http',
      'messages',
      'ratelimit',
      'session',
      'signup',
      'temp',
      'topics',
      'userRecords',
      'users',
    ]);
  });
});
