import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { CacheModule } from './cache.module';
import { CacheService } from './cache.service';
import { getCacheToken } from './cache.tokens';
import { InjectCache } from './decorators';
import { NamespaceConflictError, UnknownNamespaceError } from './errors';
import { NamespaceCache } from './namespace/namespace-cache';
import { PersistenceLevel } from './options/persistence-level';

@Injectable()
class SessionsUser {
  constructor(
    @InjectCache('session') readonly sessions: NamespaceCache<{ userId: string }>,
    @InjectCache('confirmation') readonly confirmations: NamespaceCache<string>,
  ) {}
}

async function compile(imports: unknown[], providers: unknown[] = []): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
    providers: providers as never[],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('CacheModule', () => {
  it('injects namespaces declared in forRoot and forFeature, each with its settings', async () => {
    const moduleRef = await compile(
      [
        CacheModule.forRoot({ defaultTtl: '15m', namespaces: [{ name: 'session', ttl: '24h' }] }),
        CacheModule.forFeature([{ name: 'confirmation', ttl: '5m' }]),
      ],
      [SessionsUser],
    );
    const user = moduleRef.get(SessionsUser);
    expect(user.sessions).toBeInstanceOf(NamespaceCache);
    expect(user.sessions.settings.ttl).toBe(24 * 3600_000);
    expect(user.confirmations.settings.ttl).toBe(5 * 60_000);
    expect(moduleRef.get(getCacheToken('session'))).toBe(user.sessions);
    expect(moduleRef.get(CacheService).namespace('confirmation')).toBe(user.confirmations);
    await user.sessions.set('s1', { userId: 'u1' });
    expect(await user.sessions.get('s1')).toEqual({ userId: 'u1' });
    await moduleRef.close();
  });

  it('shares one instance between feature modules that declare identical settings', async () => {
    @Module({ imports: [CacheModule.forFeature([{ name: 'shared', ttl: '1m' }])], providers: [] })
    class FeatureA {}
    @Module({ imports: [CacheModule.forFeature([{ name: 'shared', ttl: 60_000 }])] })
    class FeatureB {}
    const moduleRef = await compile([CacheModule.forRoot(), FeatureA, FeatureB]);
    const a = moduleRef.select(FeatureA).get(getCacheToken('shared'));
    const b = moduleRef.select(FeatureB).get(getCacheToken('shared'));
    expect(a).toBe(b);
    await moduleRef.close();
  });

  it('fails at start naming both places when one name has different settings', async () => {
    @Module({ imports: [CacheModule.forFeature([{ name: 'shared', ttl: '1m' }])] })
    class FeatureA {}
    @Module({ imports: [CacheModule.forFeature([{ name: 'shared', ttl: '2m' }])] })
    class FeatureB {}
    const start = compile([CacheModule.forRoot(), FeatureA, FeatureB]);
    await expect(start).rejects.toBeInstanceOf(NamespaceConflictError);
    await expect(compile([CacheModule.forRoot(), FeatureA, FeatureB])).rejects.toThrow(
      /"shared" is registered twice with different settings \(ttl: 60000 vs 120000\): at CacheModule\.forFeature\[0\] \(libs\/cache\/src\/cache\.module\.spec\.ts:\d+:\d+\) and at CacheModule\.forFeature\[0\] \(libs\/cache\/src\/cache\.module\.spec\.ts:\d+:\d+\)/,
    );
  });

  it('conflicts between forRoot and forFeature name the forRoot entry', async () => {
    await expect(
      compile([
        CacheModule.forRoot({
          namespaces: ['a', { name: 'b', persistence: PersistenceLevel.PERIODIC }],
        }),
        CacheModule.forFeature(['b']),
      ]),
    ).rejects.toThrow(
      /persistence: periodic vs memory\): at CacheModule\.forRoot namespaces\[1\] and at CacheModule\.forFeature\[0\]/,
    );
  });

  it('configures itself from ConfigService with forRootAsync', async () => {
    const moduleRef = await compile([
      ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ CACHE_TTL: '2m' })] }),
      CacheModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          defaultTtl: config.getOrThrow<'2m'>('CACHE_TTL'),
          namespaces: ['fromConfig'],
        }),
      }),
      CacheModule.forFeature(['feature']),
    ]);
    const service = moduleRef.get(CacheService);
    expect(service.namespace('fromConfig').settings.ttl).toBe(120_000);
    expect(moduleRef.get<NamespaceCache>(getCacheToken('feature')).settings.ttl).toBe(120_000);
    await moduleRef.close();
  });

  it.each([
    [
      { namespaces: ['a', 'b', { name: 'c', ttl: '5 mins' }] },
      'namespaces[2].ttl: "5 mins" is not a duration',
    ],
    [{ defaultTtl: 0 }, 'defaultTtl: 0 is not a duration'],
    [{ defaultTTL: '1m' }, 'CacheModule options.defaultTTL: unknown option'],
    [{ memory: { maxEntries: -1 } }, 'memory.maxEntries: -1 is not a positive integer'],
    [
      { namespaces: [{ name: 'has space' }] },
      'namespaces[0].name: "has space" is not a valid namespace name',
    ],
    [{ namespaces: ['a', 'a'] }, 'namespaces[1].name: "a" is already declared at namespaces[0]'],
    [
      { namespaces: [{ name: 'a', tiers: ['redis', 'memory'] }] },
      'namespaces[0].tiers: "memory" must come first',
    ],
    [
      { namespaces: [{ name: 'a', tiers: ['disk'] }] },
      'namespaces[0].tiers[0]: "disk" is not one of',
    ],
    [{ namespaces: [{ name: 'a', tiers: ['redis'] }] }, 'the "redis" tier is not configured'],
    [
      { namespaces: [{ name: 'a', persistence: 'sometimes' }] },
      'namespaces[0].persistence: "sometimes" is not one of',
    ],
    [{ prefix: 'a:b' }, 'prefix: "a:b" is not a valid prefix'],
    [{ memory: false }, 'memory: false leaves no tier'],
    // Node fires a timer longer than 2^31 - 1 ms after 1 ms.
    [
      { redis: { url: 'redis://127.0.0.1:1', commandTimeout: '25d' } },
      'redis.commandTimeout: "25d" is longer than the longest timer',
    ],
    [
      { persistence: { flushInterval: '30d' } },
      'persistence.flushInterval: "30d" is longer than the longest timer',
    ],
    [
      { persistence: { cleanupInterval: 2 ** 31 } },
      'persistence.cleanupInterval: 2147483648 is longer than the longest timer',
    ],
  ])('fails at start on bad options: %j', async (options, message) => {
    await expect(compile([CacheModule.forRoot(options as never)])).rejects.toThrow(message);
  });

  it('applies root memory bounds unless a namespace sets its own', async () => {
    const moduleRef = await compile([
      CacheModule.forRoot({
        memory: { maxEntries: 5 },
        namespaces: [{ name: 'a', maxBytes: 1_000_000 }, { name: 'b', maxEntries: 7 }, 'c'],
      }),
    ]);
    const service = moduleRef.get(CacheService);
    expect(service.namespace('a').settings).toMatchObject({ maxEntries: 5, maxBytes: 1_000_000 });
    expect(service.namespace('b').settings).toMatchObject({ maxEntries: 7, maxBytes: undefined });
    expect(service.namespace('c').settings).toMatchObject({ maxEntries: 5 });
    await moduleRef.close();
    const bytesOnly = await compile([
      CacheModule.forRoot({ memory: { maxBytes: 1000 }, namespaces: ['d'] }),
    ]);
    expect(bytesOnly.get(CacheService).namespace('d').settings).toMatchObject({
      maxEntries: undefined,
      maxBytes: 1000,
    });
    await bytesOnly.close();
  });

  it('applies root memory bounds unless a namespace sets its own', async () => {
    const moduleRef = await compile([
      CacheModule.forRoot({
        memory: { maxEntries: 5 },
        namespaces: [{ name: 'a', maxBytes: 1_000_000 }, { name: 'b', maxEntries: 7 }, 'c'],
      }),
    ]);
    const service = moduleRef.get(CacheService);
    expect(service.namespace('a').settings).toMatchObject({ maxEntries: 5, maxBytes: 1_000_000 });
    expect(service.namespace('b').settings).toMatchObject({ maxEntries: 7, maxBytes: undefined });
    expect(service.namespace('c').settings).toMatchObject({ maxEntries: 5 });
    await moduleRef.close();
    const bytesOnly = await compile([
      CacheModule.forRoot({ memory: { maxBytes: 1000 }, namespaces: ['d'] }),
    ]);
    expect(bytesOnly.get(CacheService).namespace('d').settings).toMatchObject({
      maxEntries: undefined,
      maxBytes: 1000,
    });
    await bytesOnly.close();
  });

  it('fails in forFeature itself on a malformed declaration, naming it', () => {
    expect(() =>
      CacheModule.forFeature([{ name: 'ok' }, { name: 'x', ttl: '1 week' as '1d' }]),
    ).toThrow('CacheModule.forFeature[1].ttl: "1 week" is not a duration');
  });

  it('says when forFeature is used without forRoot', async () => {
    await expect(compile([CacheModule.forFeature(['lonely'])])).rejects.toThrow(
      /cache namespace "lonely" is declared, but CacheModule\.forRoot\(\) is not imported/,
    );
  });

  describe('CacheService', () => {
    let moduleRef: TestingModule;
    let service: CacheService;

    beforeEach(async () => {
      moduleRef = await compile([CacheModule.forRoot({ namespaces: ['a', 'b'] })]);
      service = moduleRef.get(CacheService);
    });
    afterEach(() => moduleRef.close());

    it('names the known namespaces when asked for an unknown one', () => {
      expect(() => service.namespace('c')).toThrow(UnknownNamespaceError);
      expect(() => service.namespace('c')).toThrow(
        'unknown cache namespace "c"; known namespaces: "a", "b"',
      );
    });

    it('keeps namespaces apart: same keys, clear and patterns stay inside', async () => {
      const a = service.namespace('a');
      const b = service.namespace('b');
      await a.set('k', 'from a', { tags: ['t'], indexes: { i: 'v' } });
      await b.set('k', 'from b', { tags: ['t'], indexes: { i: 'v' } });
      expect(await a.get('k')).toBe('from a');
      expect(await a.keysByIndex('i', 'v')).toEqual(['k']);
      expect(await a.invalidatePattern('*')).toBe(1);
      expect(await b.get('k')).toBe('from b');
      expect(await a.invalidateTags(['t'])).toBe(0);
      expect(await b.get('k')).toBe('from b');
      await a.set('k2', 1);
      expect(await a.clear()).toBe(1);
      expect(await b.get('k')).toBe('from b');
    });

    it('reports stats for all namespaces and clears them all', async () => {
      await service.namespace('a').set('x', 1);
      await service.namespace('b').set('y', 2);
      await service.namespace('b').get('y');
      const stats = service.stats();
      expect(Object.keys(stats)).toEqual(['a', 'b']);
      expect(stats.b).toMatchObject({ hits: 1, sets: 1, entries: 1 });
      expect(await service.clearAll()).toBe(2);
      expect(service.stats().a.entries).toBe(0);
    });

    it('describes its configuration and backends', () => {
      expect(service.info()).toEqual({
        prefix: 'cache',
        namespaces: [
          { name: 'a', ttl: 3_600_000, tiers: ['memory'], persistence: 'memory' },
          { name: 'b', ttl: 3_600_000, tiers: ['memory'], persistence: 'memory' },
        ],
        backends: { memory: { healthy: true }, persistence: { healthy: true, dirty: 0 } },
      });
    });
  });

  it('can be built and closed repeatedly, dropping what it held', async () => {
    for (let i = 0; i < 3; i++) {
      const moduleRef = await compile([CacheModule.forRoot({ namespaces: ['a'] })]);
      const cache = moduleRef.get<NamespaceCache>(getCacheToken('a'));
      await cache.set('k', i);
      await moduleRef.close();
      expect(cache.stats().entries).toBe(0);
    }
  });
});
