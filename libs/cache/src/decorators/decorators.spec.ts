import { Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { CacheModule } from '../cache.module';
import { CacheService } from '../cache.service';
import { CacheError, InvalidOptionError } from '../errors';
import { mergeRouteOptions } from './cache-options.decorator';
import { CacheEvict } from './cache-evict.decorator';
import { CachePut } from './cache-put.decorator';
import { Cacheable } from './cacheable.decorator';
import { CacheNotReadyError, methodCacheLogger } from './method-cache';
import { decoratedModule } from '../testing/decorated-module';

const TRACED = 'traced';

@Injectable()
class UsersService {
  loads = 0;
  failNext = false;
  private release?: () => void;
  private gate?: Promise<void>;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
  }

  @Cacheable({ namespace: 'users', tags: (id: string) => [`user:${id}`] })
  @SetMetadata(TRACED, 'find')
  async find(
    id: string,
    options?: { full: boolean },
  ): Promise<{ id: string; full: boolean; load: number }> {
    this.loads++;
    await this.gate;
    return { id, full: options?.full ?? false, load: this.loads };
  }

  @Cacheable({ namespace: 'users', key: (id: string) => `custom:${id}`, ttl: '1s' })
  async byCustomKey(id: string): Promise<string> {
    this.loads++;
    return `custom ${id}`;
  }

  @Cacheable<[number], number>({
    namespace: 'users',
    condition: (n) => n > 0,
    unless: (result) => result > 100,
  })
  async square(n: number): Promise<number> {
    this.loads++;
    return n * n;
  }

  @Cacheable({ namespace: 'users', ttl: '1s', grace: '1m' })
  async flaky(): Promise<string> {
    this.loads++;
    if (this.failNext) throw new Error('flaky source down');
    return `version ${this.loads}`;
  }

  @Cacheable({ namespace: 'users' })
  async failing(): Promise<string> {
    this.loads++;
    throw new Error('database down');
  }

  @Cacheable({ namespace: 'users' })
  async withGaps(): Promise<{ scores: Array<number | undefined> }> {
    this.loads++;
    return { scores: [1, undefined, 3] };
  }

  @Cacheable({ namespace: 'users', tags: (label: string) => [`label:${label}`] })
  async labelled(label: string): Promise<string> {
    this.loads++;
    return label;
  }

  @Cacheable({ namespace: 'users', hardTimeout: '50ms' })
  async slow(): Promise<string> {
    this.loads++;
    await this.gate;
    return 'late';
  }

  @CachePut({ namespace: 'users', key: (id: string) => `custom:${id}` })
  async rename(id: string, name: string): Promise<string> {
    return `${name} (${id})`;
  }

  @CacheEvict({ namespace: 'users', keys: (id: string) => [`custom:${id}`] })
  async removeCustom(_id: string): Promise<void> {
    if (this.failNext) throw new Error('refused');
  }

  @CacheEvict({ namespace: 'users', tags: (id: string) => [`user:${id}`] })
  async touch(_id: string): Promise<void> {
    if (this.failNext) throw new Error('refused');
  }

  @CacheEvict({ namespace: 'users', allEntries: true, beforeInvocation: true })
  async reset(): Promise<void> {
    throw new Error('fails after evicting');
  }
}

describe('method decorators', () => {
  let moduleRef: TestingModule;
  let users: UsersService;

  beforeEach(async () => {
    moduleRef = await decoratedModule(['users'], UsersService);
    users = moduleRef.get(UsersService);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await moduleRef.close();
  });

  describe('@Cacheable', () => {
    it('runs the method once per argument list and returns the cached result after', async () => {
      const first = await users.find('1');
      expect(await users.find('1')).toEqual(first);
      expect(await users.find('2')).toMatchObject({ id: '2', load: 2 });
      expect(await users.find('1', { full: true })).toMatchObject({ full: true, load: 3 });
      expect(await users.find('1', { full: true })).toMatchObject({ load: 3 });
      expect(users.loads).toBe(3);
    });

    it('keys by class, method and arguments by default', async () => {
      await users.find('7', { full: true });
      const keys = await moduleRef
        .get(CacheService)
        .namespace('users')
        .invalidatePattern('UsersService.find(*');
      expect(keys).toBe(1);
    });

    it('runs concurrent calls with the same arguments once', async () => {
      users.hold();
      const calls = [users.find('1'), users.find('1'), users.find('1')];
      users.open();
      const results = await Promise.all(calls);
      expect(new Set(results.map((r) => r.load))).toEqual(new Set([1]));
      expect(users.loads).toBe(1);
    });

    it('uses a custom key and TTL', async () => {
      await users.byCustomKey('a');
      const cache = moduleRef.get(CacheService).namespace('users');
      expect(await cache.get('custom:a')).toBe('custom a');
      expect(await cache.getTtl('custom:a')).toBeLessThanOrEqual(1000);
    });

    it('skips the cache when condition says no, and does not store when unless says so', async () => {
      await users.square(-2);
      await users.square(-2);
      expect(users.loads).toBe(2);
      await users.square(20);
      await users.square(20);
      expect(users.loads).toBe(4);
      await users.square(3);
      await users.square(3);
      expect(users.loads).toBe(5);
    });

    it('caches nothing when the method throws', async () => {
      await expect(users.failing()).rejects.toThrow('database down');
      await expect(users.failing()).rejects.toThrow('database down');
      expect(users.loads).toBe(2);
    });

    it("returns the method's result, from its one run, when the cache cannot store it, and logs why", async () => {
      const warn = jest.spyOn(methodCacheLogger, 'warn').mockImplementation(() => undefined);
      expect(await users.withGaps()).toEqual({ scores: [1, undefined, 3] });
      expect(users.loads).toBe(1);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('UsersService.withGaps: result not cached'),
      );
      expect(await users.withGaps()).toEqual({ scores: [1, undefined, 3] });
      expect(users.loads).toBe(2);
    });

    it('runs the method uncached when the tags its arguments make are refused', async () => {
      const warn = jest.spyOn(methodCacheLogger, 'warn').mockImplementation(() => undefined);
      expect(await users.labelled('a\u0000b')).toBe('a\u0000b');
      expect(users.loads).toBe(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('contains a NUL character'));
    });

    it('still fails with E_CACHE_LOADER_TIMEOUT when the method outlasts its hardTimeout', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
      try {
        users.hold();
        const outcome = expect(users.slow()).rejects.toMatchObject({
          code: 'E_CACHE_LOADER_TIMEOUT',
        });
        await jest.advanceTimersByTimeAsync(50);
        await outcome;
        users.open();
        expect(users.loads).toBe(1);
      } finally {
        jest.useRealTimers();
      }
    });

    it('serves the last result within its grace period when the method starts failing', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
      try {
        expect(await users.flaky()).toBe('version 1');
        jest.advanceTimersByTime(2000);
        users.failNext = true;
        expect(await users.flaky()).toBe('version 1');
        expect(users.loads).toBe(2);
      } finally {
        jest.useRealTimers();
      }
    });

    it('tags results so they can be evicted by tag', async () => {
      await users.find('1');
      await users.touch('1');
      await users.find('1');
      expect(users.loads).toBe(2);
    });

    it('keeps the metadata other decorators put on the method, and its name', () => {
      expect(new Reflector().get(TRACED, UsersService.prototype.find)).toBe('find');
      expect(UsersService.prototype.find.name).toBe('find');
    });
  });

  describe('@CachePut', () => {
    it('always runs and stores what @Cacheable reads', async () => {
      await users.byCustomKey('b');
      expect(await users.rename('b', 'Bea')).toBe('Bea (b)');
      expect(await users.rename('b', 'Bee')).toBe('Bee (b)');
      expect(await users.byCustomKey('b')).toBe('Bee (b)');
      expect(users.loads).toBe(1);
    });
  });

  describe('@CacheEvict', () => {
    it('evicts keys after the method succeeds, nothing when it fails', async () => {
      await users.byCustomKey('c');
      users.failNext = true;
      await expect(users.removeCustom('c')).rejects.toThrow('refused');
      await users.byCustomKey('c');
      expect(users.loads).toBe(1);
      users.failNext = false;
      await users.removeCustom('c');
      await users.byCustomKey('c');
      expect(users.loads).toBe(2);
    });

    it('evicts everything before invocation when asked, even if the method fails', async () => {
      await users.find('1');
      await expect(users.reset()).rejects.toThrow('fails after evicting');
      await users.find('1');
      expect(users.loads).toBe(2);
    });
  });
});

describe('default method keys', () => {
  @Injectable()
  class Repository {
    calls = 0;

    @Cacheable({ namespace: 'repo' })
    async all(filter?: unknown): Promise<string> {
      this.calls++;
      return `${this.constructor.name} rows for ${String(filter)}`;
    }
  }

  @Injectable()
  class Orders extends Repository {}

  @Injectable()
  class Users extends Repository {}

  let moduleRef: TestingModule;
  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['repo'] })],
      providers: [Orders, Users],
    }).compile();
    await moduleRef.init();
  });
  afterEach(() => moduleRef.close());

  it('keep subclasses apart', async () => {
    expect(await moduleRef.get(Users).all()).toBe('Users rows for undefined');
    expect(await moduleRef.get(Orders).all()).toBe('Orders rows for undefined');
  });

  it('tell apart arguments that JSON would confuse', async () => {
    const orders = moduleRef.get(Orders);
    for (const argument of [
      new Map([['a', 1]]),
      new Map([['b', 2]]),
      NaN,
      null,
      Infinity,
      new Set([1]),
      new Set([2]),
    ]) {
      await orders.all(argument);
    }
    expect(orders.calls).toBe(7);
  });

  it('run uncached with an argument they cannot key', async () => {
    const orders = moduleRef.get(Orders);
    await orders.all(/x/);
    await orders.all(/y/);
    expect(orders.calls).toBe(2);
  });
});

describe('method decorators misused', () => {
  it('fail when the class is defined if the method is not declared to return a Promise', () => {
    expect(() => {
      class Broken {
        @Cacheable({ namespace: 'users' })
        count(): number {
          return 1;
        }
      }
      return Broken;
    }).toThrow(InvalidOptionError);
    expect(() => {
      class NoNamespace {
        @Cacheable({ namespace: '' })
        async run(): Promise<number> {
          return 1;
        }
      }
      return NoNamespace;
    }).toThrow('@Cacheable needs a namespace');
  });

  it('fail when the class is defined if an option is malformed, naming the method and the option', () => {
    const define = (decorate: MethodDecorator): unknown => {
      class Misconfigured {
        @decorate
        async load(): Promise<number> {
          return 1;
        }
      }
      return Misconfigured;
    };
    expect(() => define(Cacheable({ namespace: 'users', ttl: '5 mins' as never }))).toThrow(
      /^Misconfigured\.load \(@Cacheable\)\.ttl: "5 mins" is not a duration/,
    );
    expect(() => define(Cacheable({ namespace: 'users', refreshAhead: 2 }))).toThrow(
      /\(@Cacheable\)\.refreshAhead: 2 is not a fraction/,
    );
    expect(() => define(Cacheable({ namespace: 'users', tags: ['ok', ''] }))).toThrow(
      /\(@Cacheable\)\.tags\[1\]/,
    );
    expect(() => define(CachePut({ namespace: 'users', ttl: -1 }))).toThrow(
      /^Misconfigured\.load \(@CachePut\)\.ttl: -1 is not a duration/,
    );
    expect(() => define(CachePut({ namespace: 'users', grace: '1h' }))).toThrow(
      /^Misconfigured\.load \(@CachePut\): grace is an option of @Cacheable only/,
    );
  });

  it('say so when the instance was not created by a Nest app with CacheModule', async () => {
    const bare = new UsersService();
    await expect(bare.find('1')).rejects.toBeInstanceOf(CacheNotReadyError);
    const moduleRef = await Test.createTestingModule({ providers: [UsersService] }).compile();
    const orphan = moduleRef.get(UsersService);
    await expect(orphan.find('1')).rejects.toThrow(
      /UsersService\.find is decorated with @Cacheable, but no CacheService reached this instance/,
    );
    await expect(orphan.find('1')).rejects.toBeInstanceOf(CacheError);
    await moduleRef.close();
  });

  it('name the namespace when it is not registered', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['other'] })],
      providers: [UsersService],
    }).compile();
    await expect(moduleRef.get(UsersService).find('1')).rejects.toThrow(
      'unknown cache namespace "users"',
    );
    await moduleRef.close();
  });
});

describe('mergeRouteOptions', () => {
  it("takes each option the method gives over the class's, and keeps the others", () => {
    expect(
      mergeRouteOptions(
        { namespace: 'pages', ttl: '5m', grace: '1h', enabled: true },
        { ttl: '1m', enabled: false, grace: undefined },
      ),
    ).toEqual({ namespace: 'pages', ttl: '1m', grace: '1h', enabled: false });
  });

  it("adds a method's vary and tags to the class's, each once", () => {
    expect(
      mergeRouteOptions(
        { vary: ['X-Tenant'], tags: ['products'] },
        { vary: ['Authorization', 'X-Tenant'], tags: ['mine'] },
      ),
    ).toEqual({ vary: ['X-Tenant', 'Authorization'], tags: ['products', 'mine'] });
    expect(mergeRouteOptions({ vary: ['X-Tenant'] }, { vary: ['x-tenant'] })).toEqual({
      vary: ['X-Tenant'],
    });
    expect(
      mergeRouteOptions({ vary: ['X-Tenant'] }, { vary: ['Accept-Language', 'accept-language'] }),
    ).toEqual({ vary: ['X-Tenant', 'Accept-Language'] });
    expect(mergeRouteOptions(undefined, { vary: ['Accept', 'ACCEPT'] })).toEqual({
      vary: ['Accept'],
    });
  });

  it('answers either side alone as it is', () => {
    expect(mergeRouteOptions(undefined, { vary: ['A'] })).toEqual({ vary: ['A'] });
    expect(mergeRouteOptions({ tags: ['t'] }, undefined)).toEqual({ tags: ['t'] });
    expect(mergeRouteOptions(undefined, undefined)).toEqual({});
  });
});

@Injectable()
class Reports {
  runs = 0;
  private release?: () => void;
  private gate?: Promise<void>;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
  }

  /** A result the cache refuses (undefined inside an array). */
  @Cacheable({ namespace: 'reports' })
  async build(): Promise<{ rows: Array<number | undefined> }> {
    this.runs++;
    await this.gate;
    return { rows: [1, undefined] };
  }

  /** Declared to return a Promise, but refuses a bad argument before it makes one. */
  @Cacheable({ namespace: 'reports' })
  find(id: string): Promise<string> {
    this.runs++;
    if (id === '') throw new Error('id required');
    return Promise.resolve(`report ${id}`);
  }
}

describe('@Cacheable calls whose result the cache refuses', () => {
  let moduleRef: TestingModule;
  let reports: Reports;

  beforeEach(async () => {
    moduleRef = await decoratedModule(['reports'], Reports);
    reports = moduleRef.get(Reports);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await moduleRef.close();
  });

  it('share one run of the method among concurrent calls', async () => {
    jest.spyOn(methodCacheLogger, 'warn').mockImplementation(() => undefined);
    reports.hold();
    const first = reports.build();
    const second = reports.build();
    await new Promise((resolve) => setImmediate(resolve));
    reports.open();
    expect(await first).toEqual({ rows: [1, undefined] });
    expect(await second).toEqual({ rows: [1, undefined] });
    expect(reports.runs).toBe(1);
  });

  it('runs a method that throws before returning its Promise once, and logs no cache fault', async () => {
    const warn = jest.spyOn(methodCacheLogger, 'warn').mockImplementation(() => undefined);
    await expect(reports.find('')).rejects.toThrow('id required');
    expect(reports.runs).toBe(1);
    expect(warn).not.toHaveBeenCalled();
  });
});
