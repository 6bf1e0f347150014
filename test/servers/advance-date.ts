/**
 * Moves only `Date` forward by `ms`: timers, ioredis, pg and the bus keep real time, so an entry
 * can be put past its TTL without waiting while its servers answer as usual. Undo it with
 * `jest.useRealTimers()`.
 */
export function advanceDate(ms: number): void {
  const now = Date.now();
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
  jest.setSystemTime(now + ms);
}
