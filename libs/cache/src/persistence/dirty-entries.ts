import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import { covers, type Removal } from './removal';

/** Dirty entries of one level, per namespace and key; null marks a pending delete. */
export type DirtyLevel = Map<string, Map<string, CacheEntry | null>>;

/**
 * The entries waiting for a flush, in two levels: PERIODIC (written every `flushInterval`) and
 * ON_SHUTDOWN (written at shutdown or on `flush()`). A key is dirty in at most one level at a
 * time; its newest state wins.
 */
export class DirtyEntries {
  readonly periodic: DirtyLevel = new Map();
  readonly onShutdown: DirtyLevel = new Map();

  /** The level that holds `entry` until its flush. */
  levelOf(entry: CacheEntry): DirtyLevel {
    return entry.persistence === PersistenceLevel.PERIODIC ? this.periodic : this.onShutdown;
  }

  /** Marks the state of `key` (null: a pending delete) dirty in `level`. */
  mark(level: DirtyLevel, namespace: string, key: string, entry: CacheEntry | null): void {
    let entries = level.get(namespace);
    if (!entries) level.set(namespace, (entries = new Map<string, CacheEntry | null>()));
    entries.set(key, entry);
  }

  /** Marks `entry` dirty in its own level, forgetting an older state in the other one. */
  markEntry(namespace: string, key: string, entry: CacheEntry): void {
    this.forget(namespace, [key]);
    this.mark(this.levelOf(entry), namespace, key, entry);
  }

  isDirty(namespace: string, key: string): boolean {
    return (
      (this.periodic.get(namespace)?.has(key) ?? false) ||
      (this.onShutdown.get(namespace)?.has(key) ?? false)
    );
  }

  /** How many keys of `namespace` (of every namespace when undefined) wait for a flush. */
  count(namespace?: string): number {
    let dirty = 0;
    for (const level of [this.periodic, this.onShutdown]) {
      if (namespace !== undefined) dirty += level.get(namespace)?.size ?? 0;
      else for (const keys of level.values()) dirty += keys.size;
    }
    return dirty;
  }

  /** True when nothing waits for a flush. */
  get empty(): boolean {
    return this.periodic.size + this.onShutdown.size === 0;
  }

  /** Takes every dirty entry of `level` for a flush, leaving it empty. */
  take(level: DirtyLevel): DirtyLevel {
    const taken = new Map(level);
    level.clear();
    return taken;
  }

  /** Puts back entries a flush failed to write, unless a newer state arrived meanwhile. */
  putBack(level: DirtyLevel, namespace: string, entries: Map<string, CacheEntry | null>): void {
    for (const [key, entry] of entries)
      if (!level.get(namespace)?.has(key)) this.mark(level, namespace, key, entry);
  }

  forget(namespace: string, keys: readonly string[]): void {
    for (const level of [this.periodic, this.onShutdown]) {
      const entries = level.get(namespace);
      if (entries) for (const key of keys) entries.delete(key);
    }
  }

  /**
   * Drops the entry of `key` waiting for a flush, as memory dropped it (evicted or expired): the
   * dirty entries never outnumber what memory holds. A pending delete stays.
   */
  drop(namespace: string, key: string): void {
    for (const level of [this.periodic, this.onShutdown]) {
      const entries = level.get(namespace);
      if (entries?.get(key)) entries.delete(key);
    }
  }

  /** Drops the dirty entries a removal covers. */
  forgetCovered(namespace: string, removal: Removal): void {
    if ('keys' in removal) {
      this.forget(namespace, removal.keys);
      return;
    }
    for (const level of [this.periodic, this.onShutdown]) {
      const entries = level.get(namespace);
      if (!entries) continue;
      for (const [key, entry] of entries) if (covers(removal, key, entry)) entries.delete(key);
    }
  }
}
