import type { CacheEntry } from '../tiers/cache-entry';

/** The shared-tier calls a locked load needs, each already fault-tolerant. */
export interface LockOperations {
  /** Our token, undefined when someone else holds the lock, null when the tier is failing. */
  acquire(): Promise<string | undefined | null>;
  /** Frees the lock; may reject (strict mode), which the load ignores. */
  release(token: string): Promise<void>;
  /** The stored entry; undefined when there is none, null when the tier is failing. */
  read(): Promise<CacheEntry | undefined | null>;
}

/**
 * Loads under a lock shared by every instance: the holder loads and stores; the others poll the
 * shared tier for the holder's value until `wait` ms have passed (`waiting` is called as they
 * start), then load themselves. A lock that cannot be taken because the tier is failing is
 * skipped, and a poll that finds the tier failing (the call's budget spent, the circuit open)
 * ends the wait: the caller loads rather than keep polling a tier it cannot read in time.
 */
export async function loadUnderLock<T>(
  lock: LockOperations,
  wait: number,
  load: () => Promise<T>,
  waiting?: () => void,
): Promise<T> {
  const token = await lock.acquire();
  if (token === undefined) {
    waiting?.();
    const deadline = Date.now() + wait;
    for (let pause = 5; Date.now() < deadline; pause = Math.min(pause * 2, 100)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, deadline - Date.now())));
      const entry = await lock.read();
      if (entry === null) break;
      if (entry !== undefined) return entry.value as T;
    }
  }
  try {
    if (token) {
      // The previous holder may have stored the value just before we got the lock.
      const stored = await lock.read();
      if (stored) return stored.value as T;
    }
    return await load();
  } finally {
    // Not awaited: the load's outcome is the caller's answer; a release that fails (reported,
    // and thrown in strict mode) must not replace it, and the lock expires on its ttl anyway.
    if (token) lock.release(token).catch(() => undefined);
  }
}
