import { eachBounded } from './bounded-each';

/** A task whose calls stay pending until released, counting how many are pending at once. */
function gatedTask(): {
  task: (item: number) => Promise<void>;
  started: number[];
  releaseAll: () => void;
  peak: () => number;
} {
  const started: number[] = [];
  const waiting: Array<() => void> = [];
  let pending = 0;
  let peak = 0;
  const task = (item: number): Promise<void> => {
    started.push(item);
    peak = Math.max(peak, ++pending);
    return new Promise<void>((resolve) =>
      waiting.push(() => {
        pending--;
        resolve();
      }),
    );
  };
  const releaseAll = (): void => waiting.splice(0).forEach((release) => release());
  return { task, started, releaseAll, peak: () => peak };
}

/** Lets every settled promise's continuations run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('eachBounded', () => {
  it('keeps at most `limit` calls pending and calls each item once, in order', async () => {
    const items = Array.from({ length: 1000 }, (_unused, i) => i);
    const gated = gatedTask();
    const done = eachBounded(items, 8, gated.task);
    while (gated.started.length < items.length) {
      await settle();
      expect(gated.started.length % 8 === 0 || gated.started.length === items.length).toBe(true);
      gated.releaseAll();
    }
    gated.releaseAll();
    await done;
    expect(gated.peak()).toBe(8);
    expect(gated.started).toEqual(items);
  });

  it('rejects with the first failure after the calls in flight settle, starting no more', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const task = async (item: number): Promise<void> => {
      started.push(item);
      await settle();
      settled.push(item);
      if (item === 1) throw new Error('item 1 failed');
    };
    await expect(eachBounded([0, 1, 2, 3, 4, 5], 2, task)).rejects.toThrow('item 1 failed');
    expect(settled).toEqual(started);
    expect(started).not.toContain(5);
  });

  it('does nothing for no items', async () => {
    await expect(eachBounded([], 4, () => Promise.reject(new Error('called')))).resolves.toBe(
      undefined,
    );
  });
});
