import { deferred } from '../testing/namespace-fixtures';
import { withDeadlines, type Deadlines } from './deadlines';
import { LoaderRun } from './loader-run';

const timedOut = new Error('timed out');
const hard = (ms: number, stale?: string): Deadlines<string> => ({
  hardTimeout: ms,
  stale: () => (stale === undefined ? undefined : { value: stale }),
  onStale: () => undefined,
  timeoutError: () => timedOut,
});

describe('withDeadlines over a loader run', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('counts from the start of the run, not from the call: a slow read before it is not the loader', async () => {
    const load = deferred<string>();
    const run = new LoaderRun();
    const call = withDeadlines(load.promise, run, hard(200));
    await jest.advanceTimersByTimeAsync(1000);
    run.start();
    await jest.advanceTimersByTimeAsync(150);
    load.resolve('loaded');
    await expect(call).resolves.toBe('loaded');
  });

  it('fails once the run outlasts the hard timeout, or serves the stale value', async () => {
    const run = new LoaderRun();
    run.start();
    const failing = withDeadlines(deferred<string>().promise, run, hard(200));
    const outcome = expect(failing).rejects.toBe(timedOut);
    const stale = withDeadlines(deferred<string>().promise, run, hard(200, 'old'));
    await jest.advanceTimersByTimeAsync(200);
    await outcome;
    await expect(stale).resolves.toBe('old');
  });

  it('stops counting when the loader has answered: the store after it is waited for', async () => {
    const load = deferred<string>();
    const run = new LoaderRun();
    const call = withDeadlines(load.promise, run, hard(200));
    run.start();
    await jest.advanceTimersByTimeAsync(100);
    run.finish();
    await jest.advanceTimersByTimeAsync(1000);
    load.resolve('stored');
    await expect(call).resolves.toBe('stored');
  });
});
