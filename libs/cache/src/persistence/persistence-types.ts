import type { CircuitState } from '../stack/circuit-state';
import type { CacheEntry } from '../tiers/cache-entry';
import type { Removal } from './removal';

/** Of keys written while a removal ran, those the shared tier no longer holds. */
export type Recheck = (written: readonly string[]) => Promise<readonly string[]>;

/**
 * The entries a shared tier holds under `keys` (undefined: none), in their order; undefined when
 * the tier could not answer.
 */
export type SharedEntries = (
  keys: readonly string[],
) => Promise<ReadonlyArray<CacheEntry | undefined> | undefined>;

/** Where a namespace hears of a fault met on its behalf. */
export type Report = (operation: string, error: Error, key?: string) => void;

/**
 * `report` for one call, told at most once: a call's statement and the caller's bounded wait
 * for it may both fail (which first depends on timers due in the same millisecond), and the
 * namespace hears of the call's fault once.
 */
export function reportOnce(report: Report): Report {
  let told = false;
  return (operation, error, key) => {
    if (told) return;
    told = true;
    report(operation, error, key);
  };
}

/**
 * What a namespace tells its persistence, in the order its deciding tier applied the changes
 * (see `turn`). A call settles within `postgresCommandTimeout` whatever the database does.
 */
export interface NamespacePersistence {
  /** After a write: ON_CHANGE entries are written before this resolves, others marked dirty. */
  written(key: string, entry: CacheEntry): Promise<void> | void;
  /** After deletes and invalidations. */
  removed(removal: Removal): Promise<void> | void;
  /** Memory dropped `key` on its own (evicted or expired) and no shared tier holds it. */
  dropped(key: string): Promise<void> | void;
  /**
   * Reserves the place of a change applied (or sent to the shared tier) now: what is handed over
   * through it reaches persistence after every change reserved before, however long those took.
   * Each turn is used once, or skipped.
   */
  turn(): PersistenceTurn;
  /**
   * The namespace keeps its entries in a tier other instances change too (Redis): the rows this
   * instance writes are checked against what `shared` holds once they land, and mended when
   * another instance changed the key meanwhile (see `SharedFollow`).
   */
  follow(shared: SharedEntries): void;
}

/** A place in the order of a namespace's changes; see `NamespacePersistence.turn`. */
export interface PersistenceTurn {
  written(key: string, entry: CacheEntry): Promise<void>;
  /**
   * `recheck`: the removal ran in several steps on the shared tier (SCAN, then delete), so a
   * write sent meanwhile may have been deleted after it. Given the keys written since the
   * removal's place, it answers those the shared tier no longer holds; they are removed in a
   * place of their own, after those writes and before any later change.
   */
  removed(removal: Removal, recheck?: Recheck): Promise<void>;
  /** Frees the place: the change failed, nothing to hand over. */
  skip(): void;
}

/** The durable store as `info()` and `health()` report it. */
export interface PersistenceHealth {
  /** Whether the store answered (`health()`: a read now; `info()`: its last call). */
  readonly healthy: boolean;
  /**
   * Entries waiting for a flush, plus the failed removals waiting to be applied again (merged per
   * namespace: a clear, or the tags together and each glob); not writes on their way right now.
   */
  readonly dirty: number;
  readonly lastError?: string;
  /** The store's circuit, once a store is in use. */
  readonly circuit?: CircuitState;
  /** When a flush last succeeded (ISO time). */
  readonly lastFlushAt?: string;
}
