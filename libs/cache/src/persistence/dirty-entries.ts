import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import { coverage, type Removal } from './removal';

/** Dirty entries of one level, per namespace and key; null marks a pending delete. */
export type DirtyLevel = Map<string, Map<string, CacheEntry | null>>;

/** States of one namespace on their way to the table: a flush's batch, or one ON_CHANGE write. */
export interface Flight {
  readonly namespace: string;
  readonly entries: ReadonlyMap<string, CacheEntry | null>;
}

/**
 * The entries waiting for a flush, in two levels: PERIODIC (written every `flushInterval`) and
 * ON_SHUTDOWN (written at shutdown or on `flush()`), and those in flight to the table. A key is
 * dirty in at most one level at a time; its newest state wins. A write that fails puts back only
 * the states still its own: a newer write or a removal of the key made since, or memory dropping
 * the entry, takes it from the flight, so a failure can never bring back a removed, an older or
 * an evicted entry.
 */
export class DirtyEntries {
  readonly periodic: DirtyLevel = new Map();
  readonly onShutdown: DirtyLevel = new Map();
  /** The flight that carries each key's newest state, per namespace. */
  private readonly flying = new Map<string, Map<string, Flight>>();

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

  /**
   * The table carried out a delete of `keys` after its deadline, before any later statement: their
   * pending deletes, waiting or in flight, are done. A key written again since holds an entry, not
   * a pending delete, and still waits to be written.
   */
  deleted(namespace: string, keys: readonly string[]): void {
    const flying = this.flying.get(namespace);
    for (const key of keys) {
      for (const level of [this.periodic, this.onShutdown]) {
        const entries = level.get(namespace);
        if (entries?.get(key) === null) entries.delete(key);
      }
      if (flying?.get(key)?.entries.get(key) === null) flying.delete(key);
    }
    this.prune(namespace);
  }

  /** Forgets every pending delete (null mark); answers how many each namespace had. */
  discardDeletes(): Map<string, number> {
    const deletes = new Map<string, number>();
    for (const level of [this.periodic, this.onShutdown])
      for (const [namespace, entries] of level)
        for (const [key, entry] of entries)
          if (entry === null) {
            entries.delete(key);
            deletes.set(namespace, (deletes.get(namespace) ?? 0) + 1);
          }
    for (const namespace of deletes.keys()) this.prune(namespace);
    return deletes;
  }

  /** Whether a state of `namespace` waits for a flush or is in flight to the table. */
  holds(namespace: string): boolean {
    return this.count(namespace) > 0 || (this.flying.get(namespace)?.size ?? 0) > 0;
  }

  /** True when nothing waits for a flush. */
  get empty(): boolean {
    return this.periodic.size + this.onShutdown.size === 0;
  }

  /** Takes every dirty entry of `level` for a flush, one flight per namespace, leaving it empty. */
  take(level: DirtyLevel): Flight[] {
    const flights = [...level]
      .filter(([, entries]) => entries.size > 0)
      .map(([namespace, entries]) => this.fly({ namespace, entries }));
    level.clear();
    return flights;
  }

  /** Sends the state of one key, superseding any older one, dirty or in flight. */
  send(namespace: string, key: string, entry: CacheEntry): Flight {
    this.forget(namespace, [key]);
    return this.fly({ namespace, entries: new Map([[key, entry]]) });
  }

  /** The table holds what `flight` carried. */
  landed(flight: Flight): void {
    this.ground(flight, () => undefined);
  }

  /**
   * Ends the flight of `keys` alone: rows the database refused or entries that could not be
   * encoded, dropped for good (a later failure of the same flight does not put them back).
   */
  dropped(flight: Flight, keys: readonly string[]): void {
    const flying = this.flying.get(flight.namespace);
    if (!flying) return;
    for (const key of keys) if (flying.get(key) === flight) flying.delete(key);
    if (flying.size === 0) this.flying.delete(flight.namespace);
  }

  /** `flight` failed: what it still carries is dirty again in `level`, for the next flush. */
  putBack(flight: Flight, level: DirtyLevel): void {
    this.ground(flight, (key, entry) => this.mark(level, flight.namespace, key, entry));
  }

  /** Forgets the states of `keys`, dirty or in flight: a newer change supersedes them. */
  forget(namespace: string, keys: readonly string[]): void {
    const states = [this.periodic, this.onShutdown, this.flying].map((map) => map.get(namespace));
    for (const entries of states) if (entries) for (const key of keys) entries.delete(key);
    this.prune(namespace);
  }

  /**
   * Drops the entry of `key` waiting for a flush or in flight, as memory dropped it (evicted or
   * expired): the dirty entries never outnumber what memory holds. A flight that carries it may
   * still write its row, but one that fails no longer puts it back. A pending delete stays.
   */
  drop(namespace: string, key: string): void {
    for (const level of [this.periodic, this.onShutdown]) {
      const entries = level.get(namespace);
      if (entries?.get(key)) entries.delete(key);
    }
    const flying = this.flying.get(namespace);
    if (flying?.get(key)?.entries.get(key)) flying.delete(key);
    this.prune(namespace);
  }

  /** Forgets the states a removal covers, dirty or in flight. */
  forgetCovered(namespace: string, removal: Removal): void {
    if ('keys' in removal) {
      this.forget(namespace, removal.keys);
      return;
    }
    const covers = coverage(removal);
    for (const level of [this.periodic, this.onShutdown]) {
      const entries = level.get(namespace);
      if (!entries) continue;
      for (const [key, entry] of entries) if (covers(key, entry)) entries.delete(key);
    }
    const flying = this.flying.get(namespace);
    for (const [key, flight] of flying ?? [])
      if (covers(key, flight.entries.get(key) ?? null)) flying?.delete(key);
    this.prune(namespace);
  }

  /** Forgets the emptied maps of `namespace`, so `empty` and `count` stay exact. */
  private prune(namespace: string): void {
    for (const map of [this.periodic, this.onShutdown, this.flying])
      if (map.get(namespace)?.size === 0) map.delete(namespace);
  }

  /** Records `flight` as the carrier of the newest state of each of its keys. */
  private fly(flight: Flight): Flight {
    let flying = this.flying.get(flight.namespace);
    if (!flying) this.flying.set(flight.namespace, (flying = new Map<string, Flight>()));
    for (const key of flight.entries.keys()) flying.set(key, flight);
    return flight;
  }

  /** Ends `flight`, handing `still` each state no newer change took from it. */
  private ground(flight: Flight, still: (key: string, entry: CacheEntry | null) => void): void {
    const flying = this.flying.get(flight.namespace);
    if (!flying) return;
    for (const [key, entry] of flight.entries) {
      if (flying.get(key) !== flight) continue;
      flying.delete(key);
      still(key, entry);
    }
    if (flying.size === 0) this.flying.delete(flight.namespace);
  }
}
