/**
 * Retries `check` until it stops throwing, for things that happen on another connection (a bus
 * message, a reconnect) and announce themselves nowhere a test can await. Bounded; the last
 * failure is rethrown.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
