import { Controller, Get, Injectable, Module, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CacheModule } from '../cache.module';
import { CacheError, UnknownNamespaceError } from '../errors';
import { NamespaceCache } from '../namespace/namespace-cache';
import { CacheOptions } from './cache-options.decorator';
import { Cacheable } from './cacheable.decorator';
import { InjectCache } from './inject-cache.decorator';
import { UndeclaredNamespaceError } from './namespace-check';

@Injectable()
class SessionStore {
  constructor(@InjectCache('session') readonly sessions: NamespaceCache<string>) {}
}

@Injectable()
class MistypedStore {
  constructor(@InjectCache('sessions') readonly sessions: NamespaceCache<string>) {}
}

@Injectable()
class PropertyStore {
  @InjectCache('session') readonly sessions!: NamespaceCache<string>;
}

@Injectable()
class Reports {
  @Cacheable({ namespace: 'reportz' })
  async daily(): Promise<number> {
    return 1;
  }
}

@Controller('pages')
@CacheOptions({ namespace: 'pagez' })
class PagesController {
  @Get()
  list(): string[] {
    return [];
  }
}

@Controller('routes')
@CacheOptions({ ttl: '1m' })
class DefaultRoutesController {
  @Get()
  @CacheOptions({ namespace: 'http' })
  list(): string[] {
    return [];
  }
}

/** Builds and starts a module; returns the error the start failed with, or the started module. */
async function start(
  metadata: Parameters<typeof Test.createTestingModule>[0],
): Promise<{ moduleRef: TestingModule; error?: unknown }> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  try {
    await moduleRef.init();
    return { moduleRef };
  } catch (error) {
    return { moduleRef, error };
  }
}

describe('namespaces the decorators ask for, checked at start', () => {
  const opened: TestingModule[] = [];
  afterEach(async () => {
    // A start that failed makes close() throw its error again; nothing was opened to close.
    for (const moduleRef of opened.splice(0)) await moduleRef.close().catch(() => undefined);
  });

  async function expectStartToFail(
    metadata: Parameters<typeof Test.createTestingModule>[0],
    ...messages: string[]
  ): Promise<void> {
    const { moduleRef, error } = await start(metadata);
    opened.push(moduleRef);
    expect(error).toBeInstanceOf(UndeclaredNamespaceError);
    expect(error).toBeInstanceOf(UnknownNamespaceError);
    expect((error as CacheError).code).toBe('E_CACHE_UNKNOWN_NAMESPACE');
    for (const message of messages) expect((error as Error).message).toContain(message);
  }

  it('names a mistyped @InjectCache and the declared namespaces, instead of Nest resolution errors', async () => {
    await expectStartToFail(
      { imports: [CacheModule.forRoot({ namespaces: ['session'] })], providers: [MistypedStore] },
      'MistypedStore (@InjectCache)',
      'unknown cache namespace "sessions"',
      'known namespaces: "session"',
    );
    await expectStartToFail(
      {
        imports: [CacheModule.forRoot(), CacheModule.forFeature(['session'])],
        providers: [MistypedStore],
      },
      '"sessions"',
      '"session"',
    );
  });

  it('names an @InjectCache of a namespace declared only in a module the class does not import', async () => {
    @Module({ imports: [CacheModule.forFeature(['session'])] })
    class SessionsModule {}
    @Module({ providers: [SessionStore] })
    class ConsumerModule {}
    await expectStartToFail(
      { imports: [CacheModule.forRoot(), SessionsModule, ConsumerModule] },
      'SessionStore (@InjectCache): cache namespace "session" is declared, but not in a module',
    );
  });

  it('names an undeclared @Cacheable namespace', async () => {
    await expectStartToFail(
      { imports: [CacheModule.forRoot({ namespaces: ['reports'] })], providers: [Reports] },
      'Reports.daily (@Cacheable)',
      '"reportz"',
      '"reports"',
    );
  });

  it('names an undeclared @CacheOptions namespace', async () => {
    await expectStartToFail(
      { imports: [CacheModule.forRoot({ namespaces: ['pages'] })], controllers: [PagesController] },
      'PagesController (@CacheOptions)',
      '"pagez"',
      '"pages"',
    );
  });

  it('starts when every namespace is declared, the default one included', async () => {
    @Module({
      imports: [CacheModule.forFeature(['session'])],
      providers: [SessionStore, PropertyStore],
    })
    class SessionsModule {}
    const { moduleRef, error } = await start({
      imports: [CacheModule.forRoot({ namespaces: ['reportz', 'pagez'] }), SessionsModule],
      providers: [Reports],
      controllers: [PagesController, DefaultRoutesController],
    });
    opened.push(moduleRef);
    expect(error).toBeUndefined();
    expect(moduleRef.get(SessionStore).sessions).toBeInstanceOf(NamespaceCache);
    expect(moduleRef.get(PropertyStore).sessions).toBe(moduleRef.get(SessionStore).sessions);
    await moduleRef.get(SessionStore).sessions.set('k', 'v');
    expect(await moduleRef.get(PropertyStore).sessions.get('k')).toBe('v');
  });

  it('keeps applications in one process apart: what one declares does not excuse another', async () => {
    const declaring = await start({
      imports: [CacheModule.forRoot({ namespaces: ['sessions'] })],
      providers: [MistypedStore],
    });
    opened.push(declaring.moduleRef);
    expect(declaring.error).toBeUndefined();
    await expectStartToFail(
      { imports: [CacheModule.forRoot({ namespaces: ['session'] })], providers: [MistypedStore] },
      '"sessions"',
    );
    const other = await start({
      imports: [CacheModule.forRoot({ namespaces: ['session'] })],
      providers: [SessionStore],
    });
    opened.push(other.moduleRef);
    expect(other.error).toBeUndefined();
  });

  it('checks with forRootAsync too', async () => {
    await expectStartToFail(
      {
        imports: [CacheModule.forRootAsync({ useFactory: () => ({ namespaces: ['session'] }) })],
        providers: [MistypedStore],
      },
      '"sessions"',
    );
  });

  it('fails a call made before the check, with the same error', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['session'] })],
      providers: [MistypedStore],
    }).compile();
    opened.push(moduleRef);
    expect(() => moduleRef.get(MistypedStore).sessions.get('k')).toThrow(UnknownNamespaceError);
  });

  it('leaves a missing CacheModule to fail as Nest reports it, at start', async () => {
    await expect(
      Test.createTestingModule({ providers: [SessionStore as Type] }).compile(),
    ).rejects.toThrow(/SessionStore/);
  });
});
