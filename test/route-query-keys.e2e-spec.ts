import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { routeCacheModule } from './fixtures/route-cache.app';
import { rawRequest, startHttpApp, utf8Text } from './servers/http-app';

/** The query the `/items` route read, and whether the cache answered. */
async function listed(
  app: INestApplication,
  path: string,
  host?: string,
): Promise<{ query: unknown; cache: unknown }> {
  const response = await rawRequest(app, path, { headers: host ? { host } : {} });
  expect(response.status).toBe(200);
  const body = JSON.parse(utf8Text(response)) as { query: unknown };
  return { query: body.query, cache: response.headers['x-cache'] };
}

/**
 * Two queries the key's parameter sort would put in one order must share a key only when the
 * platform's parser reads them as one query. Each case first asks for the second query under a
 * Host of its own (an entry of its own), to learn what that query really reads.
 */
describe.each(['express', 'fastify'] as const)('route keys of crafted queries (%s)', (platform) => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startHttpApp(routeCacheModule(), {
      adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
    });
  });
  afterEach(() => app.close());

  async function expectOwnAnswers(first: string, second: string): Promise<void> {
    const truth = await listed(app, second, 'truth.example');
    expect(truth.cache).toBe('MISS');
    await listed(app, first);
    const served = await listed(app, second);
    expect(served.query).toEqual(truth.query);
  }

  it('keeps a parameter past the parser limit apart from the same parameter read first', async () => {
    // Parsers read the first 1000 parameters (Express's default parser): sorting `a` ahead of
    // the others must not give the query that dropped it the key of the one that read it.
    const filler = Array.from({ length: 1000 }, (_, i) => `z${i}=0`).join('&');
    await expectOwnAnswers(`/items?${filler}&a=evil`, `/items?a=evil&${filler}`);
  });

  it('keeps the order of names that only a loose decoder reads apart', async () => {
    // `%FF` is no valid escape: a parser that keeps it as sent reads `%25FF` as the same name,
    // so the two orders give different arrays (Fastify's parser does).
    await expectOwnAnswers('/items?%FF=1&%25FF=2', '/items?%25FF=2&%FF=1');
  });
});
