import type { CacheEntry } from '../tiers/cache-entry';
import { coverage, type Removal } from './removal';

/**
 * The entries written while removals wait in the queue or run, per namespace: a removal applied
 * in call order watches the writes made after its call, so that a delete which ran late cannot
 * take them (they are marked dirty again to be written back). It watches until that write-back
 * is done, so a later removal that takes one of them (`forgetCovered`) is never undone by it.
 */
export class WriteWatch {
  private readonly watching = new Map<string, Set<Map<string, CacheEntry>>>();

  /** Starts collecting the entries of `namespace` written from now on. */
  watch(namespace: string): Map<string, CacheEntry> {
    const since = new Map<string, CacheEntry>();
    let watching = this.watching.get(namespace);
    if (!watching) this.watching.set(namespace, (watching = new Set()));
    watching.add(since);
    return since;
  }

  unwatch(namespace: string, since: Map<string, CacheEntry>): void {
    const watching = this.watching.get(namespace);
    watching?.delete(since);
    if (watching?.size === 0) this.watching.delete(namespace);
  }

  /** A later removal took these writes: no watcher writes them back. */
  forgetCovered(namespace: string, removal: Removal): void {
    const covers = coverage(removal);
    for (const since of this.watching.get(namespace) ?? [])
      for (const [key, entry] of since) if (covers(key, entry)) since.delete(key);
  }

  /** Tells every watcher of `namespace` that `key` was written. */
  written(namespace: string, key: string, entry: CacheEntry): void {
    for (const since of this.watching.get(namespace) ?? []) since.set(key, entry);
  }
}
