import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('joins concurrent runs of one key and forgets the key when done', async () => {
    const flights = new SingleFlight<number>();
    let calls = 0;
    const load = async (): Promise<number> => ++calls;
    const [a, b] = await Promise.all([flights.run('k', load), flights.run('k', load)]);
    expect([a, b, calls]).toEqual([1, 1, 1]);
    expect(flights.current('k')).toBeUndefined();
    expect(await flights.run('k', load)).toBe(2);
  });

  it('marks a run superseded', async () => {
    const flights = new SingleFlight<boolean>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = flights.run('k', async (isCurrent) => {
      await gate;
      return isCurrent();
    });
    flights.supersede('other');
    expect(flights.current('k')).toBe(run);
    flights.supersede('k');
    release();
    expect(await run).toBe(false);
  });
});
