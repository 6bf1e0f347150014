import type { CacheTier } from '../tiers/cache-tier.interface';
import { CircuitBreaker } from './circuit-breaker';
import { CommandTimeoutError } from './circuit-errors';
import { FarGuard, type FaultListener } from './far-guard';

/** Only what the guard touches: the tier is handed to `run`, never called by the guard. */
const tier = { kind: 'redis' } as unknown as CacheTier;

/** A backend that answers the calls sent to it one at a time, when told to. */
class TurnTakingBackend {
  private readonly waiting: Array<() => void> = [];

  readonly send = (): Promise<string> =>
    new Promise<string>((resolve) => this.waiting.push(() => resolve('ok')));

  answerNext(): void {
    this.waiting.shift()?.();
  }
}

describe('BatchBudget', () => {
  let breaker: CircuitBreaker;
  let faults: Error[];
  const onFault: FaultListener = (_operation, error) => faults.push(error);

  beforeEach(() => {
    jest.useFakeTimers();
    faults = [];
    breaker = new CircuitBreaker({
      name: 'backend',
      timeout: 100,
      failureThreshold: 2,
      resetAfter: 1000,
      maxResetAfter: 1000,
    });
  });
  afterEach(() => {
    breaker.close();
    jest.useRealTimers();
  });

  /** Sends `count` calls of one batch at once; the outcomes, as they come. */
  function sendBatch(guard: FarGuard, backend: TurnTakingBackend, count: number): unknown[] {
    const budget = guard.batchBudget();
    const outcomes: unknown[] = [];
    for (let i = 0; i < count; i++) {
      void guard
        .call('set', `k${i}`, backend.send, () => 'degraded', budget)
        .then((outcome) => outcomes.push(outcome));
    }
    return outcomes;
  }

  it('lets the tail of a batch wait while the backend answers its head', async () => {
    const guard = new FarGuard(tier, 'ns', breaker, false, onFault);
    const backend = new TurnTakingBackend();
    const outcomes = sendBatch(guard, backend, 5);
    // Each answer comes 80 ms after the one before: the last one 400 ms after its send.
    for (let i = 0; i < 5; i++) {
      await jest.advanceTimersByTimeAsync(80);
      backend.answerNext();
    }
    await jest.advanceTimersByTimeAsync(0);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(faults).toEqual([]);
    expect(breaker.current).toBe('closed');
  });

  it('fails what is left one timeout after the backend last answered', async () => {
    const guard = new FarGuard(tier, 'ns', breaker, false, onFault);
    const backend = new TurnTakingBackend();
    const outcomes = sendBatch(guard, backend, 3);
    await jest.advanceTimersByTimeAsync(80);
    backend.answerNext();
    // Frozen from here: the other two wait 100 ms past that answer, not a moment more.
    await jest.advanceTimersByTimeAsync(99);
    expect(outcomes).toEqual(['ok']);
    await jest.advanceTimersByTimeAsync(1);
    expect(outcomes).toEqual(['ok', 'degraded', 'degraded']);
    expect(faults).toHaveLength(2);
    expect(faults[0]).toBeInstanceOf(CommandTimeoutError);
  });

  it('leaves a call out of any batch to its own timeout, whatever the batch is answered', async () => {
    const guard = new FarGuard(tier, 'ns', breaker, false, onFault);
    const backend = new TurnTakingBackend();
    const outcomes = sendBatch(guard, backend, 1);
    let single: unknown;
    void guard
      .call('get', 'other', backend.send, () => 'degraded')
      .then((outcome) => (single = outcome));
    await jest.advanceTimersByTimeAsync(80);
    backend.answerNext();
    await jest.advanceTimersByTimeAsync(20);
    expect(outcomes).toEqual(['ok']);
    expect(single).toBe('degraded');
  });
});
