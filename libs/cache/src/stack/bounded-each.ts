/**
 * How many writes of one `setMany` are in flight at once. Each shared-tier call's timeout runs
 * from when it is sent: sent all at once, the last of a large batch would wait its turn behind
 * the others past its own timeout, and fail with the server idle.
 */
export const BATCH_WRITES_IN_FLIGHT = 128;

/**
 * Calls `task` on every item, at most `limit` calls pending at any moment, each item once and in
 * order of start. Rejects with the first failure, once every call already started has settled;
 * items not started by then are not started.
 */
export async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  const results = await Promise.allSettled(workers);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}
