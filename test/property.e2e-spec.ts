import fc from 'fast-check';
import { CacheError, type CacheModuleOptions, type NamespaceCache } from 'nest-tiered-cache';
import { startCacheApp, type CacheApp } from './servers/cache-app';
import { RedisServer } from './servers/redis-server';

/** Keys of every kind: unicode, long, glob and Redis metacharacters, `:` and braces. */
const keys = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.stringMatching(/^[*?[\]\\{}:%_ ]{0,12}$/),
  fc.string({ minLength: 1000, maxLength: 1100 }),
  // Around the 1024-byte limit, in characters of 1 to 4 UTF-8 bytes.
  fc
    .tuple(fc.constantFrom('x', 'é', '字', '🚀'), fc.integer({ min: 250, max: 1030 }))
    .map(([char, count]) => char.repeat(count)),
  // Lone surrogates and NULs, alone or inside text.
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\0'))
    .map(([text, odd]) => `${text}${odd}${text}`),
  fc.constantFrom('', '}', '{other}:v:x', '*', 'a:b:c', '\ufffd'),
);

/** Values the cache must store exactly: JSON data with Dates, deep and nested. */
const storable = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
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
  fc.constantFrom('a\0b', 'x\ud800', { 'k\0': 1 }, { ['\udc00']: 1 }),
  fc.integer({ min: 129, max: 3000 }).map(nest),
  fc.constant({
    get boom(): never {
      throw new Error('getter');
    },
  }),
  // Wrapped: fast-check itself looks into the values it generates.
  fc.constant({ inner: revokedProxy() }),
);

function nest(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { v: value };
  return value;
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** What a stored value reads back as: the same, with -0 as 0 (JSON has no -0). */
function asStored(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(asStored);
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asStored(v)]));
  }
  return value;
}

/** Option objects, well- and ill-formed. */
const options = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      ttl: fc.oneof(
        fc.constantFrom('5m', '30s', '1h', '5 mins', '', -1, 0, 0.5, 1e16, '36501d', Infinity),
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
          expect(await target.get(key)).toEqual(asStored(value));
          await target.delete(key);
        } else {
          // Nothing stored: the key reads as absent, or is itself refused.
          const held = await target.has(key).catch((error: unknown) => {
            expectCacheError(error);
            return false;
          });
          expect(held).toBe(false);
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
