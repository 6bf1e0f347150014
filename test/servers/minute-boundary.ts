/**
 * Waits, when fewer than `marginMs` are left in the current clock minute, for the next one, so
 * that per-minute counters (the demo's rate limit) do not start over in the middle of a test.
 */
export async function clearOfMinuteBoundary(marginMs = 5_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
