import { Logger } from '@nestjs/common';
import { InvalidValueError, UnavailableError } from '../errors';
import type { CacheTier } from '../tiers/cache-tier.interface';
import { CircuitBreaker } from './circuit-breaker';
import { CommandTimeoutError } from './circuit-errors';
import { FarBudget } from './far-budget';
import { FarGuard, type FaultListener } from './far-guard';

/** Only what the guard touches: the tier is handed to `run`, never called by the guard. */
const tier = { kind: 'redis' } as unknown as CacheTier;
const hang = (): Promise<never> => new Promise<never>(() => undefined);

/** A backend that answers the calls sent to it one at a time, when told to. */
class TurnTakingBackend {
  private readonly waiting: Array<() => void> = [];

  readonly send = (): Promise<string> =>
    new Promise<string>((resolve) => this.waiting.push(() => resolve('ok')));

  answerNext(): void {
    this.waiting.shift()?.();
  }
}

describe('FarGuard', () => {
  let breaker: CircuitBreaker;
  let faults: Array<[string, Error, string | undefined]>;
  const onFault: FaultListener = (operation, error, key) => faults.push([operation, error, key]);
  const guard = (strict = false): FarGuard => new FarGuard(tier, 'ns', breaker, strict, onFault);
  /** Fails calls until the circuit opens (its threshold is two). */
  const openCircuit = async (): Promise<void> => {
    for (let i = 0; i < 2; i++) {
      await guard().call(
        'get',
        'k',
        () => Promise.reject(new Error('down')),
        () => undefined,
      );
    }
  };

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

  it('answers with what the tier answered, synchronously or not', async () => {
    await expect(
      guard().call(
        'get',
        'k',
        async () => 'async',
        () => 'degraded',
      ),
    ).resolves.toBe('async');
    await expect(
      guard().call(
        'get',
        'k',
        () => 'sync',
        () => 'degraded',
      ),
    ).resolves.toBe('sync');
    // Both calls were settled: nothing is left to time out.
    jest.advanceTimersByTime(100);
    expect(faults).toEqual([]);
    expect(breaker.current).toBe('closed');
  });

  it('degrades a fault, reporting it with the operation and key', async () => {
    const refused = new Error('connection refused');
    const answer = guard().call(
      'get',
      'k',
      () => Promise.reject(refused),
      () => 'degraded',
    );
    await expect(answer).resolves.toBe('degraded');
    expect(faults).toEqual([['get', refused, 'k']]);
  });

  it("resolves to the caller's outcome of the answer or of the fallback", async () => {
    const outcome = (key: string | undefined, value: string): string => `${key}=${value}`;
    await expect(
      guard().call(
        'get',
        'k',
        async () => 'v',
        () => 'degraded',
        undefined,
        outcome,
      ),
    ).resolves.toBe('k=v');
    await expect(
      guard().call(
        'get',
        'k',
        () => Promise.reject(new Error('down')),
        () => 'degraded',
        undefined,
        outcome,
      ),
    ).resolves.toBe('k=degraded');
  });

  it('rejects with what the outcome throws, and counts the call as the success it was', async () => {
    const broken = new Error('listener failed');
    const answer = guard().call(
      'get',
      'k',
      async () => 'v',
      () => 'degraded',
      undefined,
      () => {
        throw broken;
      },
    );
    await expect(answer).rejects.toBe(broken);
    expect(faults).toEqual([]);
    expect(breaker.current).toBe('closed');
  });

  it('degrades a tier call that throws before it returns a promise, and counts it', async () => {
    const run = (): Promise<string> => {
      throw new Error('socket gone');
    };
    await expect(guard().call('set', 'k', run, () => 'degraded')).resolves.toBe('degraded');
    await expect(guard().call('set', 'k', run, () => 'degraded')).resolves.toBe('degraded');
    expect(faults.map(([operation, error]) => [operation, error.message])).toEqual([
      ['set', 'socket gone'],
      ['set', 'socket gone'],
    ]);
    expect(breaker.current).toBe('open');
  });

  it('throws UnavailableError instead when strict', async () => {
    const answer = guard(true).call(
      'get',
      'k',
      () => Promise.reject(new Error('down')),
      () => 1,
    );
    await expect(answer).rejects.toBeInstanceOf(UnavailableError);
    expect(faults).toHaveLength(1);
  });

  it("throws a caller's mistake as it is, without reporting it or opening the circuit", async () => {
    const mistake = new InvalidValueError('bad value');
    for (let i = 0; i < 3; i++) {
      await expect(
        guard().call(
          'set',
          'k',
          () => Promise.reject(mistake),
          () => 'degraded',
        ),
      ).rejects.toBe(mistake);
    }
    expect(faults).toEqual([]);
    expect(breaker.current).toBe('closed');
  });

  it('degrades at the deadline; the late answer counts for nothing', async () => {
    let answer!: (value: string) => void;
    const late = new Promise<string>((resolve) => (answer = resolve));
    const call = guard().call(
      'get',
      'k',
      () => late,
      () => 'degraded',
    );
    jest.advanceTimersByTime(100);
    await expect(call).resolves.toBe('degraded');
    expect(faults[0][1]).toBeInstanceOf(CommandTimeoutError);
    answer('too late');
    await Promise.resolve();
    // The timeout counted as one failure; one more opens the circuit.
    await guard().call(
      'get',
      'k',
      () => Promise.reject(new Error('down')),
      () => 'degraded',
    );
    expect(breaker.current).toBe('open');
  });

  it('gives calls sharing a budget one timeout between them', async () => {
    const budget = new FarBudget(100);
    let answer!: (value: string) => void;
    const slow = new Promise<string>((resolve) => (answer = resolve));
    const first = guard().call(
      'get',
      'k',
      () => slow,
      () => 'degraded',
      budget,
    );
    jest.advanceTimersByTime(60);
    answer('first');
    await expect(first).resolves.toBe('first');
    // The first call spent 60 ms of the budget: the second has 40 left, not a timeout of its own.
    const second = guard().call('get', 'k', hang, () => 'second degraded', budget);
    jest.advanceTimersByTime(39);
    expect(faults).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await expect(second).resolves.toBe('second degraded');
    expect(faults[0][1]).toBeInstanceOf(CommandTimeoutError);
  });

  it('refuses at once, never calling the tier, while the circuit is open', async () => {
    await openCircuit();
    const run = jest.fn(async () => 'called');
    await expect(guard().call('get', 'k', run, () => 'refused')).resolves.toBe('refused');
    expect(run).not.toHaveBeenCalled();
  });

  it('sends the trial call when a circuit watcher throws, its budget closed', async () => {
    await openCircuit();
    jest.advanceTimersByTime(1000);
    // The watcher's throw is the circuit's to report (its onWatcherError), not the call's.
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    breaker.watch(() => {
      throw new Error('watcher failed');
    });
    const budget = new FarBudget(100);
    const answer = guard().call(
      'get',
      'k',
      async () => 'up',
      () => 'degraded',
      budget,
    );
    await expect(answer).resolves.toBe('up');
    logged.mockRestore();
    expect(breaker.current).toBe('closed');
    expect(faults.map(([, error]) => error.message)).toEqual(['down', 'down']);
    // Closed when the call answered: 10 ms later, none of it counts as spent.
    jest.advanceTimersByTime(10);
    expect(budget.open()).toBe(Date.now() + 100);
  });

  describe('with a batch budget', () => {
    /** Sends `count` calls of one batch at once; the outcomes, as they come. */
    function sendBatch(backend: TurnTakingBackend, count: number): unknown[] {
      const budget = guard().batchBudget();
      const outcomes: unknown[] = [];
      for (let i = 0; i < count; i++) {
        void guard()
          .call('set', `k${i}`, backend.send, () => 'degraded', budget)
          .then((outcome) => outcomes.push(outcome));
      }
      return outcomes;
    }

    it('lets the tail of a batch wait while the backend answers its head', async () => {
      const backend = new TurnTakingBackend();
      const outcomes = sendBatch(backend, 5);
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
      const backend = new TurnTakingBackend();
      const outcomes = sendBatch(backend, 3);
      await jest.advanceTimersByTimeAsync(80);
      backend.answerNext();
      // Frozen from here: the other two wait 100 ms past that answer, not a moment more.
      await jest.advanceTimersByTimeAsync(99);
      expect(outcomes).toEqual(['ok']);
      await jest.advanceTimersByTimeAsync(1);
      expect(outcomes).toEqual(['ok', 'degraded', 'degraded']);
      expect(faults).toHaveLength(2);
      expect(faults[0][1]).toBeInstanceOf(CommandTimeoutError);
    });

    it('leaves a call out of any batch to its own timeout, however the batch is answered', async () => {
      const backend = new TurnTakingBackend();
      const outcomes = sendBatch(backend, 1);
      let single: unknown;
      void guard()
        .call('get', 'other', backend.send, () => 'degraded')
        .then((outcome) => (single = outcome));
      await jest.advanceTimersByTimeAsync(80);
      backend.answerNext();
      await jest.advanceTimersByTimeAsync(20);
      expect(outcomes).toEqual(['ok']);
      expect(single).toBe('degraded');
    });
  });
});
