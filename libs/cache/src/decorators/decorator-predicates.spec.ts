import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { CacheService } from '../cache.service';
import { decoratedModule } from '../testing/decorated-module';
import { CachePut } from './cache-put.decorator';
import { Cacheable } from './cacheable.decorator';
import { methodCacheLogger } from './method-cache';

const broken = (): never => {
  throw new Error('predicate bug');
};

/** Methods whose `condition` or `unless` throws: a fault of the cache's settings, not the call's. */
@Injectable()
class Accounts {
  writes = 0;
  reads = 0;

  @CachePut({ namespace: 'accounts', key: (id: string) => id, condition: broken })
  async renameWhenAllowed(id: string): Promise<{ id: string }> {
    this.writes++;
    return { id };
  }

  @CachePut({ namespace: 'accounts', key: (id: string) => id, unless: broken })
  async renameUnlessRefused(id: string): Promise<{ id: string }> {
    this.writes++;
    return { id };
  }

  @Cacheable({ namespace: 'accounts', condition: broken })
  async find(id: string): Promise<{ id: string }> {
    this.reads++;
    return { id };
  }
}

describe('decorator predicates that throw', () => {
  let moduleRef: TestingModule;
  let accounts: Accounts;

  beforeEach(async () => {
    moduleRef = await decoratedModule(['accounts'], Accounts);
    accounts = moduleRef.get(Accounts);
    jest.spyOn(methodCacheLogger, 'warn').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await moduleRef.close();
  });

  it('never fail a @CachePut call whose method succeeded: its write is done, and it stores nothing', async () => {
    await expect(accounts.renameWhenAllowed('1')).resolves.toEqual({ id: '1' });
    await expect(accounts.renameUnlessRefused('2')).resolves.toEqual({ id: '2' });
    expect(accounts.writes).toBe(2);
    const namespace = moduleRef.get(CacheService).namespace('accounts');
    expect([await namespace.get('1'), await namespace.get('2')]).toEqual([undefined, undefined]);
    expect(methodCacheLogger.warn).toHaveBeenCalledTimes(2);
  });

  it('run a @Cacheable method uncached, and log why', async () => {
    await expect(accounts.find('1')).resolves.toEqual({ id: '1' });
    await expect(accounts.find('1')).resolves.toEqual({ id: '1' });
    expect(accounts.reads).toBe(2);
    expect(methodCacheLogger.warn).toHaveBeenCalledTimes(2);
  });
});
