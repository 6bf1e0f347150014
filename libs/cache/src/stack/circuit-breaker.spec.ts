import { Logger } from '@nestjs/common';
import { CircuitBreaker } from './circuit-breaker';
import { CircuitOpenError, CommandTimeoutError } from './circuit-errors';
import type { CircuitBreakerOptions } from './circuit-breaker-options';
import type { CircuitState } from './circuit-state';

class AnsweredError extends Error {}

describe('CircuitBreaker', () => {
  let states: CircuitState[];
  let breaker: CircuitBreaker;
  const fail = (): Promise<never> => Promise.reject(new Error('connection refused'));
  const succeed = (): Promise<string> => Promise.resolve('ok');
  /** A breaker of three failures, a 100 ms timeout and a 1 s first pause, with `options` over them. */
  const breakerWith = (options: Partial<CircuitBreakerOptions>): CircuitBreaker =>
    new CircuitBreaker({
      name: 'backend',
      timeout: 100,
      failureThreshold: 3,
      resetAfter: 1000,
      maxResetAfter: 4000,
      ...options,
    });

  beforeEach(() => {
    jest.useFakeTimers();
    states = [];
    breaker = breakerWith({
      onStateChange: (state) => states.push(state),
      isFault: (error) => !(error instanceof AnsweredError),
    });
  });
  afterEach(() => {
    breaker.close();
    jest.useRealTimers();
  });

  it('opens after consecutive failures and then refuses calls at once', async () => {
    for (let i = 0; i < 3; i++)
      await expect(breaker.run(fail)).rejects.toThrow('connection refused');
    expect(breaker.current).toBe('open');
    const call = jest.fn(succeed);
    await expect(breaker.run(call)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(call).not.toHaveBeenCalled();
  });

  describe('attempt', () => {
    /** One call as a tier call makes it, answered through `done` or `failed`. */
    const attempt = <T>(
      deadline: number,
      send: () => T | PromiseLike<T>,
      done: (value: T) => void,
      failed: (error: unknown) => void,
    ): void =>
      breaker.attempt(
        { deadline, done: false, apart: false, succeed: done, fail: failed },
        send,
        0,
      );
    const outcomes = (): { done: jest.Mock; failed: jest.Mock } => ({
      done: jest.fn(),
      failed: jest.fn(),
    });

    it('answers a synchronous call at once, and counts a synchronous throw as a failure', () => {
      const first = outcomes();
      attempt(Date.now() + 100, () => 'now', first.done, first.failed);
      expect(first.done).toHaveBeenCalledWith('now');
      expect(first.failed).not.toHaveBeenCalled();
      for (let i = 0; i < 3; i++) {
        const { done, failed } = outcomes();
        attempt(
          Date.now() + 100,
          () => {
            throw new Error('socket closed');
          },
          done,
          failed,
        );
        expect(failed).toHaveBeenCalledWith(new Error('socket closed'));
        expect(done).not.toHaveBeenCalled();
      }
      expect(breaker.current).toBe('open');
    });

    it('fails at the deadline once, and a late answer is not reported', async () => {
      let answer!: (value: string) => void;
      const { done, failed } = outcomes();
      attempt(
        Date.now() + 50,
        () => new Promise<string>((resolve) => (answer = resolve)),
        done,
        failed,
      );
      jest.advanceTimersByTime(50);
      expect(failed).toHaveBeenCalledTimes(1);
      expect(failed.mock.calls[0][0]).toBeInstanceOf(CommandTimeoutError);
      answer('late');
      await Promise.resolve();
      expect(done).not.toHaveBeenCalled();
      expect(failed).toHaveBeenCalledTimes(1);
    });

    it('waits for a thenable that is not a native promise', async () => {
      const { done, failed } = outcomes();
      const thenable = { then: (resolve: (value: string) => void) => resolve('foreign') };
      attempt(Date.now() + 100, () => thenable as PromiseLike<string>, done, failed);
      await Promise.resolve();
      expect(done).toHaveBeenCalledWith('foreign');
      expect(failed).not.toHaveBeenCalled();
    });

    it('answers once when a synchronous call closes the breaker under it', () => {
      const { done, failed } = outcomes();
      attempt(
        Date.now() + 100,
        () => {
          breaker.close();
          return 42;
        },
        done,
        failed,
      );
      expect(failed).toHaveBeenCalledTimes(1);
      expect(done).not.toHaveBeenCalled();
    });

    it('refuses a spent deadline without calling', () => {
      const call = jest.fn(() => 'never');
      const { done, failed } = outcomes();
      attempt(Date.now(), call, done, failed);
      expect(call).not.toHaveBeenCalled();
      expect(failed.mock.calls[0][0]).toBeInstanceOf(CommandTimeoutError);
      expect(breaker.current).toBe('closed');
    });
  });

  it('a success in between resets the count', async () => {
    await expect(breaker.run(fail)).rejects.toThrow();
    await expect(breaker.run(fail)).rejects.toThrow();
    await breaker.run(succeed);
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.current).toBe('closed');
  });

  it('lets one trial through after the pause; success closes it', async () => {
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    jest.advanceTimersByTime(1000);
    expect(await breaker.run(succeed)).toBe('ok');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('doubles the pause after a failed trial, up to the maximum', async () => {
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    for (const pause of [1000, 2000, 4000, 4000]) {
      jest.advanceTimersByTime(pause - 1);
      await expect(breaker.run(succeed)).rejects.toBeInstanceOf(CircuitOpenError);
      jest.advanceTimersByTime(1);
      await expect(breaker.run(fail)).rejects.toThrow('connection refused');
    }
    expect(breaker.current).toBe('open');
  });

  it('refuses other calls while a trial is in flight', async () => {
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    jest.advanceTimersByTime(1000);
    let finish!: (value: string) => void;
    const trial = breaker.run(() => new Promise<string>((resolve) => (finish = resolve)));
    await expect(breaker.run(succeed)).rejects.toBeInstanceOf(CircuitOpenError);
    finish('done');
    expect(await trial).toBe('done');
    expect(breaker.current).toBe('closed');
  });

  it('fails a call that takes longer than the timeout, and counts it', async () => {
    const hung = breaker.run(() => new Promise<never>(() => undefined));
    jest.advanceTimersByTime(125);
    await expect(hung).rejects.toBeInstanceOf(CommandTimeoutError);
    await expect(breaker.run(fail)).rejects.toThrow();
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.current).toBe('open');
  });

  it('fails a call at its deadline, not a fraction of a timeout later', async () => {
    const hang = (): Promise<never> => new Promise<never>(() => undefined);
    // A call in flight for a while, so a later one does not start the timing afresh.
    const first = breaker.run(hang).catch((error: unknown) => error);
    jest.advanceTimersByTime(60);
    let second: unknown;
    void breaker.run(hang).catch((error: unknown) => (second = error));
    await jest.advanceTimersByTimeAsync(40);
    expect(await first).toBeInstanceOf(CommandTimeoutError);
    await jest.advanceTimersByTimeAsync(59);
    expect(second).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(second).toBeInstanceOf(CommandTimeoutError);
  });

  it('takes an absolute deadline; one already past fails at once, uncounted, never calling', async () => {
    const hung = breaker
      .run(() => new Promise<never>(() => undefined), Date.now() + 30)
      .catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(30);
    expect(await hung).toBeInstanceOf(CommandTimeoutError);
    const call = jest.fn(succeed);
    for (let i = 0; i < 5; i++) {
      await expect(breaker.run(call, Date.now())).rejects.toBeInstanceOf(CommandTimeoutError);
    }
    expect(call).not.toHaveBeenCalled();
    expect(breaker.current).toBe('closed');
  });

  it('tells watchers of each change of state until it stops watching or closes', async () => {
    const seen: CircuitState[] = [];
    const stop = breaker.watch((state) => seen.push(state));
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    breaker.reset();
    stop();
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    expect(seen).toEqual(['open', 'closed']);
  });

  describe('a state watcher that throws', () => {
    const throwOn =
      (wanted: CircuitState) =>
      (state: CircuitState): void => {
        if (state === wanted) throw new Error(`watcher failed on ${state}`);
      };
    const openIt = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    };

    it('on half-open neither refuses the trial nor wedges the circuit', async () => {
      const reported: Array<[string, CircuitState]> = [];
      breaker = breakerWith({
        onWatcherError: (error, state) => reported.push([error.message, state]),
      });
      const seen: CircuitState[] = [];
      breaker.watch(throwOn('half-open'));
      breaker.watch((state) => seen.push(state));
      await openIt();
      jest.advanceTimersByTime(1000);
      await expect(breaker.run(succeed)).resolves.toBe('ok');
      expect(breaker.current).toBe('closed');
      expect(seen).toEqual(['open', 'half-open', 'closed']);
      expect(reported).toEqual([['watcher failed on half-open', 'half-open']]);
      // A failed trial after a throwing half-open opens it again, and the next pause lets one through.
      await openIt();
      jest.advanceTimersByTime(1000);
      await expect(breaker.run(fail)).rejects.toThrow('connection refused');
      expect(breaker.current).toBe('open');
      jest.advanceTimersByTime(2000);
      await expect(breaker.run(succeed)).resolves.toBe('ok');
      expect(breaker.current).toBe('closed');
    });

    it('on open or closed still answers the call that moved it', async () => {
      const reported: CircuitState[] = [];
      breaker = breakerWith({
        failureThreshold: 1,
        onStateChange: throwOn('open'),
        onWatcherError: (_error, state) => reported.push(state),
      });
      breaker.watch(throwOn('closed'));
      await expect(breaker.run(fail)).rejects.toThrow('connection refused');
      expect(breaker.current).toBe('open');
      jest.advanceTimersByTime(1000);
      await expect(breaker.run(succeed)).resolves.toBe('ok');
      expect(breaker.current).toBe('closed');
      expect(() => breaker.reset()).not.toThrow();
      expect(reported).toEqual(['open', 'closed']);
    });

    it('whose report throws too still lets the trial through and closes the circuit', async () => {
      breaker = breakerWith({
        onWatcherError: () => {
          throw new Error('reporter failed');
        },
      });
      breaker.watch(throwOn('half-open'));
      await openIt();
      jest.advanceTimersByTime(1000);
      await expect(breaker.run(succeed)).resolves.toBe('ok');
      expect(breaker.current).toBe('closed');
    });

    it('is logged when nobody is told of watcher errors', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        breaker.watch(throwOn('half-open'));
        await openIt();
        jest.advanceTimersByTime(1000);
        await expect(breaker.run(succeed)).resolves.toBe('ok');
        expect(logged).toHaveBeenCalledTimes(1);
        expect(String(logged.mock.calls[0][0])).toContain('watcher failed on half-open');
      } finally {
        logged.mockRestore();
      }
    });
  });

  it('does not count errors the backend answered with', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(
        breaker.run(() => Promise.reject(new AnsweredError('WRONGTYPE'))),
      ).rejects.toThrow();
    }
    expect(breaker.current).toBe('closed');
  });

  it('closes at once on reset, as on a reconnect', async () => {
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    breaker.reset();
    expect(await breaker.run(succeed)).toBe('ok');
  });
});
