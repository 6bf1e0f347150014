import fc from 'fast-check';
import { CacheError, type CacheModuleOptions, type NamespaceCache } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { RedisServer } from './servers/redis-server';

/** Keys of every kind: unicode, long, glob and Redis metacharacters, `:` and braces. */
const keys = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.stringMatching(/^[*?[\]\\{}:%_ ]{0,12}$/),
  fc.string({ minLength: 1000, maxLength: 1100 }),
  fc.constantFrom('', '}', '{other}:v:x', '*', 'a:b:c'),
);

/** Values the cache must store exactly: JSON data with Dates, deep and nested. */
const storable = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.boolean(),
    fc.constant(null),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.string().filter((name) => name !== '__proto__'),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

/** Values it must refuse with a CacheError, storing nothing. */
const refused = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.bigInt().map((n) => ({ n })),
  fc.constant(NaN),
  fc.constant(new Map([[1, 2]])),
  fc.constant([1, undefined]),
);

/** Option objects, well- and ill-formed. */
const options = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      ttl: fc.oneof(
        fc.constantFrom('5m', '30s', '1h', '5 mins', '', -1, 0),
        // Long enough to outlive the round trip that reads the value back.
        fc.integer({ min: 60_000, max: 10_000_000 }),
      ),
      tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
      colour: fc.string(),
    },
    { requiredKeys: [] },
  ),
);

describe.each([
  ['memory', false],
  ['memory over Redis', true],
])('any input, %s', (_label, withRedis) => {
  let server: RedisServer | undefined;
  let app: CacheApp;

  beforeAll(async () => {
    server = withRedis ? await RedisServer.start() : undefined;
    const config: CacheModuleOptions = {
      namespaces: ['target', 'bystander'],
      ...(server && { redis: { url: server.url } }),
    };
    app = await startCacheApp(config);
  });
  afterAll(async () => {
    await app.close();
    await server?.stop();
  });

  const expectCacheError = (error: unknown): void => {
    expect(error).toBeInstanceOf(CacheError);
    expect((error as CacheError).code).toMatch(/^E_CACHE_/);
  };

  it('stores exactly or refuses with a CacheError, never touching other keys or namespaces', async () => {
    const target: NamespaceCache = app.ns('target');
    const bystander: NamespaceCache = app.ns('bystander');
    await target.set('sentinel', { keep: [1, 'two', new Date(0)] });
    await bystander.set('sentinel', 'theirs');
    await fc.assert(
      fc.asyncProperty(keys, fc.oneof(storable, refused), options, async (key, value, opts) => {
        if (key === 'sentinel') return;
        let stored = false;
        try {
          await target.set(key, value, opts as never);
          stored = true;
        } catch (error) {
          expectCacheError(error);
        }
        if (stored) {
          expect(await target.get(key)).toEqual(value);
          await target.delete(key);
        } else if (typeof key === 'string' && key.length > 0 && key.length <= 1024) {
          expect(await target.has(key)).toBe(false);
        }
        try {
          // The key as a literal glob: it may reach that key only, never the sentinel.
          await target.invalidatePattern(
            typeof key === 'string' ? key.replace(/[*?\\]/g, '\\$&') : key,
          );
        } catch (error) {
          expectCacheError(error);
        }
        expect(await target.get('sentinel')).toEqual({ keep: [1, 'two', new Date(0)] });
        expect(await bystander.get('sentinel')).toBe('theirs');
      }),
      { numRuns: withRedis ? 150 : 400 },
    );
  }, 120_000);
});
