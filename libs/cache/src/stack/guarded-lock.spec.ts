import { loadUnderLock } from '../loading/locked-load';
import type { CacheTier } from '../tiers/cache-tier.interface';
import { CircuitBreaker } from './circuit-breaker';
import { FarBudget } from './far-budget';
import { FarGuard } from './far-guard';
import { guardedLock } from './guarded-lock';

describe('guardedLock', () => {
  let breaker: CircuitBreaker;
  const released: string[] = [];
  const tier = {
    kind: 'redis',
    acquireLock: async () => 'token',
    releaseLock: async (_key: string, token: string) => void released.push(token),
    get: async () => undefined,
  } as unknown as CacheTier;

  beforeEach(() => {
    jest.useFakeTimers();
    released.length = 0;
    breaker = new CircuitBreaker({
      name: 'backend',
      timeout: 100,
      failureThreshold: 5,
      resetAfter: 1000,
      maxResetAfter: 1000,
    });
  });
  afterEach(() => {
    breaker.close();
    jest.useRealTimers();
  });

  it('releases the lock even when the load spent its whole budget', async () => {
    const budget = new FarBudget(100);
    const lock = guardedLock(
      new FarGuard(tier, 'ns', breaker, false, () => undefined),
      'k',
      1000,
      budget,
    );
    expect(await lock.acquire()).toBe('token');
    // A read of the load waits past the whole budget.
    budget.open();
    jest.advanceTimersByTime(150);
    budget.close();
    await lock.release('token');
    expect(released).toEqual(['token']);
  });

  it("never lets a failed release replace the load's value, even when strict", async () => {
    const failing = {
      ...tier,
      releaseLock: async () => Promise.reject(new Error('connection lost')),
    } as unknown as CacheTier;
    const lock = guardedLock(
      new FarGuard(failing, 'ns', breaker, true, () => undefined),
      'k',
      1000,
    );
    await expect(lock.release('token')).rejects.toThrow('connection lost');
    await expect(loadUnderLock(lock, 1000, async () => 'loaded')).resolves.toBe('loaded');
  });

  it('stops waiting for another holder once its budget is spent, and loads', async () => {
    // Held elsewhere; each read of the slow tier takes 30 ms of the 100 ms budget.
    const slow = {
      ...tier,
      acquireLock: async () => undefined,
      get: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 30)),
    } as unknown as CacheTier;
    const faults: Error[] = [];
    const lock = guardedLock(
      new FarGuard(slow, 'ns', breaker, false, (_operation, error) => faults.push(error)),
      'k',
      60_000,
      new FarBudget(100),
    );
    let answer: string | undefined;
    void loadUnderLock(lock, 60_000, async () => 'loaded').then((value) => (answer = value));
    await jest.advanceTimersByTimeAsync(1000);
    expect(answer).toBe('loaded');
    // The poll that ran out of budget ends the wait: no poll is refused after it.
    expect(faults).toHaveLength(1);
  });
});
