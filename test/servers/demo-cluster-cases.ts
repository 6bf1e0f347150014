import type { DemoProcess } from './demo-process';
import { DemoClient } from './demo-client';
import { eventually } from './eventually';

/**
 * What two demo instances over any bus must show: a rename, chat settings and a new message
 * written on `a` are served by `b`, which held the old ones in its memory tier (each read
 * `readsBefore` times first, so the last of them is a memory hit when more than one).
 */
export async function servesTheOtherInstancesWrites(
  a: DemoProcess,
  b: DemoProcess,
  readsBefore: number,
): Promise<void> {
  const alan = await DemoClient.login(a.url, 'alan@example.com');
  const alanOnB = alan.on(b.url);
  for (let i = 0; i < readsBefore; i++) {
    expect((await alanOnB.get('/users/2')).body.name).toBe('Alan Turing');
    expect((await alanOnB.get('/chats/2')).body.settings.topic).toBe('');
  }
  const before = (await alanOnB.get('/chats/2/messages')).body;

  expect((await alan.patch('/me', { name: 'Alan M. Turing' })).status).toBe(200);
  const grace = await DemoClient.login(a.url, 'grace@example.com');
  expect((await grace.patch('/chats/2/settings', { topic: 'parsers' })).status).toBe(200);
  const posted = await grace.post('/chats/2/messages', { text: 'COBOL is coming' });
  expect(posted.status).toBe(201);

  // The bus drops B's copies; its next reads see A's writes.
  await eventually(async () =>
    expect((await alanOnB.get('/users/2')).body.name).toBe('Alan M. Turing'),
  );
  await eventually(async () =>
    expect((await alanOnB.get('/chats/2')).body.settings.topic).toBe('parsers'),
  );
  await eventually(async () =>
    expect((await alanOnB.get('/chats/2/messages')).body).toHaveLength(before.length + 1),
  );
  expect(
    (await alanOnB.get('/chats/2/search?q=cobol')).body.map((m: { id: number }) => m.id),
  ).toEqual([posted.body.id]);
}
