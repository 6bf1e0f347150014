/**
 * `work`, or `timedOut()`'s error once `ms` have passed first; the work goes on unwatched. The
 * timer is cleared as soon as either ends, and never holds the process open. `Infinity` sets no
 * timer.
 */
export function timeLimit<T>(work: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  // Node fires a timer of Infinity (or past 2^31-1 ms) after 1 ms.
  if (ms === Infinity) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Whether `work` resolved within `ms`: false once the time ran out first (the work goes on
 * unwatched); its rejection propagates. The timer goes as soon as either ends; `Infinity` sets
 * none.
 */
export function resolvesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const done = work.then(() => true);
  if (ms === Infinity) return done;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

/**
 * Runs `task` every `interval` ms without holding the process open, its failures ignored (the
 * task reports its own); no timer for `Infinity`, which Node would run every millisecond.
 */
export function every(interval: number, task: () => Promise<unknown>): NodeJS.Timeout | undefined {
  if (interval === Infinity) return undefined;
  const timer = setInterval(() => void task().catch(() => undefined), interval);
  timer.unref();
  return timer;
}
