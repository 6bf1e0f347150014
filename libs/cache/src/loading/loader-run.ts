/** Told when a flight's loader run starts and when it is over. */
export interface LoaderRunWatcher {
  started(): void;
  finished(): void;
}

/**
 * The part of a flight during which a loader runs: its own loader, from its call until it
 * answers, or, under a lock another instance holds, the wait for that holder's value (then this
 * flight's loader if the wait runs out). `getOrSet`'s `timeout` and `hardTimeout` count this part
 * only. The shared-tier calls before and after it (the read, the lock, the store) are bounded by
 * `commandTimeout` instead, so a frozen backend never passes for a slow loader.
 */
export class LoaderRun {
  private state: 'pending' | 'running' | 'over' = 'pending';
  /** True once the loader returned (it did not throw): what fails the flight after is the cache's. */
  answered = false;
  private watchers: LoaderRunWatcher[] = [];

  /** Marks the run as started; a run starts once. */
  start(): void {
    if (this.state !== 'pending') return;
    this.state = 'running';
    for (const watcher of [...this.watchers]) watcher.started();
  }

  /** Marks the run as over: the loader answered. */
  finish(): void {
    if (this.state === 'over') return;
    this.state = 'over';
    const watchers = this.watchers;
    this.watchers = [];
    for (const watcher of watchers) watcher.finished();
  }

  /** `loader` as one that marks this run while it runs. */
  around<T>(loader: () => T | Promise<T>): () => Promise<T> {
    return async () => {
      this.start();
      try {
        const value = await loader();
        this.answered = true;
        return value;
      } finally {
        this.finish();
      }
    };
  }

  /**
   * Tells `watcher` when the run starts (at once if it is running) and when it is over; nothing
   * when it is over already. Returns what stops the watching.
   */
  watch(watcher: LoaderRunWatcher): () => void {
    if (this.state === 'over') return () => undefined;
    this.watchers.push(watcher);
    if (this.state === 'running') watcher.started();
    return () => {
      this.watchers = this.watchers.filter((other) => other !== watcher);
    };
  }
}
