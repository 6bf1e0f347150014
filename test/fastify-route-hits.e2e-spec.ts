/**
 * The Fastify hit path (libs/cache/src/interceptors/fastify-stored-json.ts): a route hit sends
 * the JSON written once for the stored body. The promise: the bytes and headers a hit sends are
 * exactly those Fastify itself would send for that reply, whatever hooks, serializers, schemas,
 * content types and interceptors further out do. Each case sends a miss then a hit (and, where
 * useful, the same route uncached) and compares status, body bytes and every header but Date,
 * Connection, Keep-Alive and X-Cache.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  Catch,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpException,
  Module,
  Param,
  UseFilters,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { FastifyAdapter, RouteSchema } from '@nestjs/platform-fastify';
import { map, type Observable } from 'rxjs';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { rawRequest, startHttpApp, utf8Text, type RawResponse } from './servers/http-app';

/** The part of a Fastify reply the tests touch. */
interface Reply {
  type(contentType: string): Reply;
  header(name: string, value: string): Reply;
  getHeader(name: string): unknown;
  removeHeader(name: string): Reply;
  serializer(fn: (payload: unknown) => string): Reply;
  code(status: number): Reply;
  send(payload: unknown): Reply;
}

/** The part of a Fastify request the tests read. */
interface FastifyRequest {
  readonly url: string;
}

type Hook = (request: FastifyRequest, reply: Reply, payload: unknown) => Promise<unknown>;

/** The part of the Fastify instance the tests configure. */
interface FastifyInstance {
  addHook(name: 'preSerialization' | 'onSend' | 'onRequest', hook: Hook): void;
  setReplySerializer(serialize: (payload: unknown) => string): void;
  setSerializerCompiler(compiler: (route: { schema: unknown }) => (data: unknown) => string): void;
}

const AT = '2024-02-29T12:34:56.789Z';

/** A body with what JSON escapes or writes specially: separators, quotes, controls, a Date. */
function body(): Record<string, unknown> {
  return {
    text: 'line\u2028separator\u2029 "quoted" back\\slash </script> tab\t ctl\u0001 é 😀',
    at: new Date(AT),
    list: [1, 'two', null, { deep: [true, 2.5, 1e21, -0] }],
    empty: {},
  };
}

/** An interceptor further out than the cache (listed before it), mapping what it hands on. */
function outer(name: string, fn: (value: unknown, reply: Reply) => unknown): Type<NestInterceptor> {
  const named = {
    [name]: class implements NestInterceptor {
      intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
        const reply = context.switchToHttp().getResponse<Reply>();
        return next.handle().pipe(map((value: unknown) => fn(value, reply)));
      }
    },
  };
  return named[name];
}

const ToNewObject = outer('ToNewObject', (value) => ({ wrapped: value }));
const ToText = outer('ToText', (value) => JSON.stringify(value));
const ToBuffer = outer('ToBuffer', (value) => Buffer.from(JSON.stringify(value)));
const ToNull = outer('ToNull', () => null);
const HalTypeAfter = outer('HalTypeAfter', (value, reply) => {
  reply.type('application/hal+json');
  return value;
});
const JsonTextTypedAfter = outer('JsonTextTypedAfter', (value, reply) => {
  reply.type('application/json');
  return JSON.stringify(value);
});
const FullJsonTypeAfter = outer('FullJsonTypeAfter', (value, reply) => {
  reply.type('application/json; charset=utf-8');
  return value;
});
const HtmlTypeAfter = outer('HtmlTypeAfter', (value, reply) => {
  reply.type('text/html');
  return value;
});
const HtmlTextAfter = outer('HtmlTextAfter', (value, reply) => {
  reply.type('text/html; charset=utf-8');
  return `<pre>${JSON.stringify(value)}</pre>`;
});
const ThrowsAfter = outer('ThrowsAfter', () => {
  throw new HttpException({ refused: true, why: 'after the cache' }, 409);
});
const HtmlThenThrows = outer('HtmlThenThrows', (_value, reply) => {
  reply.type('text/html');
  throw new HttpException('refused after the cache', 409);
});
const OwnSerializerAfter = outer('OwnSerializerAfter', (value, reply) => {
  reply.serializer((payload) => `own ${JSON.stringify(payload)}`);
  return value;
});

/** An app's RFC 9457 problem filter: its own JSON type, without charset, as such filters set it. */
@Catch(HttpException)
class ProblemFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<Reply>()
      .code(exception.getStatus())
      .type('application/problem+json')
      .send({ title: exception.message, status: exception.getStatus() });
  }
}

/** A class that writes itself as text in JSON. */
class Money {
  constructor(private readonly cents: number) {}
  toJSON(): string {
    return `${(this.cents / 100).toFixed(2)} EUR`;
  }
}

@Controller('p')
@CacheOptions({ namespace: 'routes', ttl: '1m' })
class ProbeController {
  runs = 0;

  @Get('plain')
  @UseInterceptors(CacheInterceptor)
  plain(): unknown {
    this.runs++;
    return body();
  }

  @Get('to-json')
  @UseInterceptors(CacheInterceptor)
  toJson(): unknown {
    return { price: new Money(1234), list: [new Money(5)] };
  }

  @Get('uncached')
  uncached(): unknown {
    return body();
  }

  @Get('created')
  @HttpCode(201)
  @UseInterceptors(CacheInterceptor)
  created(): unknown {
    return body();
  }

  @Get('no-content')
  @HttpCode(204)
  @UseInterceptors(CacheInterceptor)
  noContent(): unknown {
    return body();
  }

  @Get('typed')
  @Header('Content-Type', 'application/vnd.api+json')
  @UseInterceptors(CacheInterceptor)
  typed(): unknown {
    return body();
  }

  @Get('typed-json')
  @Header('Content-Type', 'application/json')
  @UseInterceptors(CacheInterceptor)
  typedJson(): unknown {
    return body();
  }

  @Get('cache-control')
  @Header('Cache-Control', 'public, max-age=5')
  @UseInterceptors(CacheInterceptor)
  cacheControl(): unknown {
    return body();
  }

  @Get('schema-404')
  @RouteSchema({ response: { 404: { type: 'object', properties: { gone: { type: 'string' } } } } })
  @UseInterceptors(CacheInterceptor)
  schema404(): unknown {
    return body();
  }

  @Get('schema-200')
  @RouteSchema({ response: { 200: { type: 'object', properties: { text: { type: 'string' } } } } })
  @UseInterceptors(CacheInterceptor)
  schema200(): unknown {
    return body();
  }

  @Get('new-object')
  @UseInterceptors(ToNewObject, CacheInterceptor)
  newObject(): unknown {
    return body();
  }

  @Get('to-text')
  @UseInterceptors(ToText, CacheInterceptor)
  toText(): unknown {
    return body();
  }

  @Get('to-buffer')
  @UseInterceptors(ToBuffer, CacheInterceptor)
  toBuffer(): unknown {
    return body();
  }

  @Get('to-null')
  @UseInterceptors(ToNull, CacheInterceptor)
  toNull(): unknown {
    return body();
  }

  @Get('hal-after')
  @UseInterceptors(HalTypeAfter, CacheInterceptor)
  halAfter(): unknown {
    return body();
  }

  @Get('json-text-after')
  @UseInterceptors(JsonTextTypedAfter, CacheInterceptor)
  jsonTextAfter(): unknown {
    return body();
  }

  @Get('full-json-after')
  @UseInterceptors(FullJsonTypeAfter, CacheInterceptor)
  fullJsonAfter(): unknown {
    return body();
  }

  @Get('html-after')
  @UseInterceptors(HtmlTypeAfter, CacheInterceptor)
  htmlAfter(): unknown {
    return body();
  }

  @Get('html-text-after')
  @UseInterceptors(HtmlTextAfter, CacheInterceptor)
  htmlTextAfter(): unknown {
    return body();
  }

  @Get('throws-after')
  @UseInterceptors(ThrowsAfter, CacheInterceptor)
  throwsAfter(): unknown {
    return body();
  }

  @Get('problem-after')
  @UseFilters(ProblemFilter)
  @UseInterceptors(ThrowsAfter, CacheInterceptor)
  problemAfter(): unknown {
    return body();
  }

  @Get('html-then-throws')
  @UseInterceptors(HtmlThenThrows, CacheInterceptor)
  htmlThenThrows(): unknown {
    return body();
  }

  @Get('own-serializer-after')
  @UseInterceptors(OwnSerializerAfter, CacheInterceptor)
  ownSerializerAfter(): unknown {
    return body();
  }

  /** Routes the app's hooks act on, by name (see `hooks`). */
  @Get('hook/:name')
  @UseInterceptors(CacheInterceptor)
  hooked(@Param('name') _name: string): unknown {
    return body();
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['routes'] })],
  controllers: [ProbeController],
})
class ProbeModule {}

/** Hooks acting only on `/p/hook/<name>`, one behaviour per name. */
function hooks(fastify: FastifyInstance): void {
  const named =
    (name: string, act: Hook): Hook =>
    (request, reply, payload) =>
      request.url.startsWith(`/p/hook/${name}`)
        ? act(request, reply, payload)
        : Promise.resolve(payload);
  // preSerialization
  fastify.addHook(
    'preSerialization',
    named('same', (_request, _reply, payload) => Promise.resolve(payload)),
  );
  fastify.addHook(
    'preSerialization',
    named('new', (_request, _reply, payload) =>
      Promise.resolve({ ...(payload as object), hooked: true }),
    ),
  );
  fastify.addHook(
    'preSerialization',
    named('to-string', () => Promise.resolve('text a hook made')),
  );
  fastify.addHook(
    'preSerialization',
    named('reads-type', (_request, reply, payload) => {
      // A hook that only touches JSON replies (e.g. an envelope, a JSON:API adapter).
      const type = reply.getHeader('content-type');
      reply.header('x-type-seen', String(type));
      return Promise.resolve(
        typeof type === 'string' && type.startsWith('application/json')
          ? { data: payload }
          : payload,
      );
    }),
  );
  fastify.addHook(
    'preSerialization',
    named('gives-serializer', (_request, reply, payload) => {
      // A content-negotiation hook choosing this reply's serializer.
      reply.serializer((value) => JSON.stringify(value, null, 2));
      return Promise.resolve(payload);
    }),
  );
  fastify.addHook(
    'preSerialization',
    named('pre-fails', () => Promise.reject(new Error('refused by a preSerialization hook'))),
  );
  fastify.addHook(
    'preSerialization',
    named('sets-type', (_request, reply, payload) => {
      reply.type('application/problem+json');
      return Promise.resolve(payload);
    }),
  );
  // onSend
  fastify.addHook(
    'onSend',
    named('etag', (_request, reply, payload) => {
      reply.header('etag', `"${createHash('sha1').update(String(payload)).digest('base64')}"`);
      reply.header('x-payload-type', typeof payload);
      return Promise.resolve(payload);
    }),
  );
  fastify.addHook(
    'onSend',
    named('gzip', (_request, reply, payload) => {
      reply.header('content-encoding', 'gzip');
      return Promise.resolve(gzipSync(String(payload)));
    }),
  );
  fastify.addHook(
    'onSend',
    named('fails', () => Promise.reject(new Error('onSend hook failed'))),
  );
}

function startApp(
  configure?: (fastify: FastifyInstance) => void,
  adapter: FastifyAdapter = new FastifyAdapter(),
): Promise<INestApplication> {
  return startHttpApp(ProbeModule, { adapter, configure });
}

/** What must be the same: status, bytes, every header but the per-request ones and X-Cache. */
function seen(sent: RawResponse): {
  status: number;
  bytes: string;
  headers: Record<string, unknown>;
} {
  const headers: Record<string, unknown> = { ...sent.headers };
  for (const name of ['date', 'connection', 'keep-alive', 'x-cache']) delete headers[name];
  return { status: sent.status, bytes: sent.bytes, headers };
}

/**
 * How many times `JSON.stringify` wrote a stored (frozen) body while `run` ran: a hit that takes
 * the written-once JSON writes none, one that Fastify serializes writes one.
 */
async function storedBodiesSerialized(run: () => Promise<unknown>): Promise<number> {
  const stringify = jest.spyOn(JSON, 'stringify');
  try {
    await run();
    return stringify.mock.calls.filter(([value]) => Object.isFrozen(value)).length;
  } finally {
    stringify.mockRestore();
  }
}

/** A miss then a hit of `path`; fails unless the second is a hit. */
async function missThenHit(
  app: INestApplication,
  path: string,
  method = 'GET',
): Promise<{ miss: RawResponse; hit: RawResponse }> {
  const miss = await rawRequest(app, path, { method });
  const hit = await rawRequest(app, path, { method });
  expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
  return { miss, hit };
}

describe('Fastify hits send what Fastify itself would send', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startApp(hooks);
  });
  afterAll(async () => {
    await app.close();
  });

  describe('where the hit takes the written-once JSON', () => {
    it('sends the bytes and headers of the miss, and of the same route uncached, for a body JSON escapes (U+2028, quotes, controls, a Date)', async () => {
      const { miss, hit } = await missThenHit(app, '/p/plain');
      expect(seen(hit)).toEqual(seen(miss));
      const uncached = await rawRequest(app, '/p/uncached');
      expect(seen(hit)).toEqual(seen(uncached));
      expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(utf8Text(hit))).toMatchObject({ at: AT });
    });

    it('sends what toJSON wrote on the miss (the stored value is what toJSON returned)', async () => {
      const { miss, hit } = await missThenHit(app, '/p/to-json');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(JSON.parse(utf8Text(miss))).toEqual({ price: '12.34 EUR', list: ['0.05 EUR'] });
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('writes a stored body as JSON once, however many hits send it', async () => {
      const { hit } = await missThenHit(app, '/p/plain?once=1');
      const again = async (): Promise<void> => {
        for (let i = 0; i < 3; i++)
          expect(seen(await rawRequest(app, '/p/plain?once=1'))).toEqual(seen(hit));
      };
      expect(await storedBodiesSerialized(again)).toBe(0);
    });

    it('sends the same bytes to every one of many concurrent hits on one key', async () => {
      const first = await rawRequest(app, '/p/plain?concurrent=1');
      const hits = await Promise.all(
        Array.from({ length: 40 }, () => rawRequest(app, '/p/plain?concurrent=1')),
      );
      for (const hit of hits) {
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(seen(hit)).toEqual(seen(first));
      }
    });

    it('answers a HEAD hit with the headers of the HEAD miss, and the length of the GET body', async () => {
      const { miss, hit } = await missThenHit(app, '/p/plain?head=1', 'HEAD');
      expect(seen(hit)).toEqual(seen(miss));
      const get = await rawRequest(app, '/p/plain?head=1');
      expect(hit.headers['content-length']).toBe(get.headers['content-length']);
      expect(hit.headers['content-type']).toBe(get.headers['content-type']);
    });

    it('keeps the status of @HttpCode(201)', async () => {
      const { miss, hit } = await missThenHit(app, '/p/created');
      expect(hit.status).toBe(201);
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends no body, type or length for @HttpCode(204), as the miss', async () => {
      const { miss, hit } = await missThenHit(app, '/p/no-content');
      expect(hit.status).toBe(204);
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('keeps headers set with @Header other than the content type', async () => {
      const { miss, hit } = await missThenHit(app, '/p/cache-control');
      expect(hit.headers['cache-control']).toBe('public, max-age=5');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('lets an onSend hook hash the same text (same ETag), and see text', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/etag');
      expect(hit.headers['x-payload-type']).toBe('string');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('lets an onSend hook compress the same text (same gzip bytes)', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/gzip');
      expect(hit.headers['content-encoding']).toBe('gzip');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends the error a failing onSend hook causes, as the miss', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/fails');
      expect(hit.status).toBe(500);
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends the error a failing preSerialization hook causes (before any serializer ran), as the miss', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/pre-fails');
      expect(hit.status).toBe(500);
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends the kept text when a preSerialization hook returns the very payload', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/same');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('serializes what a preSerialization hook returns in its place', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/new');
      expect(JSON.parse(utf8Text(hit))).toMatchObject({ hooked: true });
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('keeps the content type a preSerialization hook sets', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/sets-type');
      expect(hit.headers['content-type']).toBe('application/problem+json');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('JSON-encodes a string a preSerialization hook returns, as Fastify does (a JSON string literal)', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/to-string');
      // Fastify serializes what the hooks return with JSON.stringify: '"text a hook made"'.
      expect(miss.bytes).toBe('"text a hook made"');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('shows preSerialization hooks the content type Fastify set before them', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/reads-type');
      expect(miss.headers['x-type-seen']).toBe('application/json; charset=utf-8');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('keeps the JSON content type when a preSerialization hook gives the reply a serializer', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hook/gives-serializer');
      expect(miss.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(seen(hit)).toEqual(seen(miss));
    });
  });

  describe('where an interceptor further out changes the reply after the hit', () => {
    it('serializes a new object it hands on', async () => {
      const { miss, hit } = await missThenHit(app, '/p/new-object');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends text it hands on as text/plain', async () => {
      const { miss, hit } = await missThenHit(app, '/p/to-text');
      expect(hit.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends a Buffer it hands on as application/octet-stream', async () => {
      const { miss, hit } = await missThenHit(app, '/p/to-buffer');
      expect(hit.headers['content-type']).toBe('application/octet-stream');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends null it hands on as the miss does', async () => {
      const { miss, hit } = await missThenHit(app, '/p/to-null');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('keeps a serializer it gives the reply', async () => {
      const { miss, hit } = await missThenHit(app, '/p/own-serializer-after');
      expect(miss.bytes).toMatch(/^own \{/);
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends text it types text/html as is', async () => {
      const { miss, hit } = await missThenHit(app, '/p/html-text-after');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('keeps a full JSON content type it sets', async () => {
      const { miss, hit } = await missThenHit(app, '/p/full-json-after');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('sends the error body Nest sends for an exception it throws', async () => {
      const { miss, hit } = await missThenHit(app, '/p/throws-after');
      expect(hit.status).toBe(409);
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('adds charset=utf-8 to a JSON type it sets without one (application/hal+json)', async () => {
      const { miss, hit } = await missThenHit(app, '/p/hal-after');
      expect(miss.headers['content-type']).toBe('application/hal+json; charset=utf-8');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('adds charset=utf-8 to application/json it sets on JSON text it hands on', async () => {
      const { miss, hit } = await missThenHit(app, '/p/json-text-after');
      expect(miss.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it("adds charset=utf-8 to the JSON type an app's exception filter sets on the error it throws", async () => {
      const { miss, hit } = await missThenHit(app, '/p/problem-after');
      expect(miss.status).toBe(409);
      expect(miss.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('adds charset=utf-8 to the application/json Nest sets on an error after a non-JSON type', async () => {
      const { miss, hit } = await missThenHit(app, '/p/html-then-throws');
      expect(miss.status).toBe(409);
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('fails as Fastify does when it types an object text/html (no JSON sent as HTML)', async () => {
      const { miss, hit } = await missThenHit(app, '/p/html-after');
      expect(miss.status).toBe(500);
      expect(seen(hit)).toEqual(seen(miss));
    });
  });

  describe('where the hit is left to Fastify', () => {
    it('keeps a content type set with @Header (a JSON type without charset)', async () => {
      for (const path of ['/p/typed', '/p/typed-json']) {
        const { miss, hit } = await missThenHit(app, path);
        expect(seen(hit)).toEqual(seen(miss));
      }
    });

    it('serializes through a response schema given for another status only', async () => {
      const { miss, hit } = await missThenHit(app, '/p/schema-404');
      expect(seen(hit)).toEqual(seen(miss));
    });

    it('serializes through the response schema of its status', async () => {
      const { miss, hit } = await missThenHit(app, '/p/schema-200');
      expect(JSON.parse(utf8Text(hit))).toEqual({ text: body().text });
      expect(seen(hit)).toEqual(seen(miss));
    });
  });
});

/** A Nest adapter over a Fastify instance made elsewhere (here: by another copy of Fastify). */
const adapterOn = (instance: unknown): FastifyAdapter =>
  new (FastifyAdapter as unknown as new (instance: unknown) => FastifyAdapter)(instance);

describe('Fastify hits in apps configured otherwise', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('keeps a send another plugin put on the reply, for every send of a hit (an error after it)', async () => {
    const sends: string[] = [];
    const app = await startApp((fastify) => {
      fastify.addHook('onRequest', (_request, reply) => {
        const send = reply.send;
        reply.send = function (this: Reply, payload: unknown): Reply {
          sends.push(typeof payload);
          return send.call(this, payload);
        };
        return Promise.resolve();
      });
      fastify.addHook('onSend', (_request, _reply, payload) =>
        typeof payload === 'string' && payload.includes('"at"')
          ? Promise.reject(new Error('refused by an onSend hook'))
          : Promise.resolve(payload),
      );
    });
    apps.push(app);
    const { miss, hit } = await missThenHit(app, '/p/plain');
    expect(miss.status).toBe(500);
    expect(seen(hit)).toEqual(seen(miss));
    // Each request sends twice through the plugin's send: the body, then the error body its
    // onSend hook caused.
    expect(sends).toHaveLength(4);
    expect(sends.slice(2)).toEqual(sends.slice(0, 2));
  });

  it("keeps the app's serializerCompiler for schema routes and plain JSON elsewhere", async () => {
    const app = await startApp((fastify) =>
      fastify.setSerializerCompiler(() => (data) => JSON.stringify({ compiled: data })),
    );
    apps.push(app);
    const schema = await missThenHit(app, '/p/schema-200');
    expect(schema.miss.bytes).toMatch(/^\{"compiled":/);
    expect(seen(schema.hit)).toEqual(seen(schema.miss));
    const plain = await missThenHit(app, '/p/plain');
    expect(seen(plain.hit)).toEqual(seen(plain.miss));
  });

  it('serves two apps of one Fastify, one with a reply serializer, each as its misses', async () => {
    const plainApp = await startApp();
    const wrapping = await startApp((fastify) =>
      fastify.setReplySerializer((payload) => JSON.stringify({ wrapped: payload })),
    );
    apps.push(plainApp, wrapping);
    const a1 = await missThenHit(plainApp, '/p/plain');
    const b1 = await missThenHit(wrapping, '/p/plain');
    const a2 = await rawRequest(plainApp, '/p/plain');
    const b2 = await rawRequest(wrapping, '/p/plain');
    expect(b1.miss.bytes).toMatch(/^\{"wrapped":/);
    expect(seen(a1.hit)).toEqual(seen(a1.miss));
    expect(seen(a2)).toEqual(seen(a1.miss));
    expect(seen(b1.hit)).toEqual(seen(b1.miss));
    expect(seen(b2)).toEqual(seen(b1.miss));
  });

  it('serves apps on two copies of Fastify in one process (other symbols), each as its misses', async () => {
    let fastifyCopy: ((options?: object) => unknown) | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      fastifyCopy = (require('fastify') as { fastify: (options?: object) => unknown }).fastify;
    });
    const other = fastifyCopy!();
    const main = await startApp();
    const onCopy = await startApp(
      (fastify) => fastify.setReplySerializer((payload) => JSON.stringify({ copy: payload })),
      adapterOn(other),
    );
    const onCopyPlain = await startApp(undefined, adapterOn(fastifyCopy!()));
    apps.push(main, onCopy, onCopyPlain);
    const m1 = await missThenHit(main, '/p/plain');
    const c1 = await missThenHit(onCopy, '/p/plain');
    const p1 = await missThenHit(onCopyPlain, '/p/plain');
    const m2 = await rawRequest(main, '/p/plain');
    const c2 = await rawRequest(onCopy, '/p/plain');
    expect(c1.miss.bytes).toMatch(/^\{"copy":/);
    for (const [hit, miss] of [
      [m1.hit, m1.miss],
      [m2, m1.miss],
      [c1.hit, c1.miss],
      [c2, c1.miss],
      [p1.hit, p1.miss],
    ] as const) {
      expect(seen(hit)).toEqual(seen(miss));
    }
    // The copy's plain routes take the written-once JSON too (its own symbols are found).
    expect(await storedBodiesSerialized(() => rawRequest(onCopyPlain, '/p/plain'))).toBe(0);
    expect(await storedBodiesSerialized(() => rawRequest(main, '/p/plain'))).toBe(0);
  });
});
