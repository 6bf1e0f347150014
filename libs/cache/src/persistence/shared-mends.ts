import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import type { MendedRow, WrittenRow } from './storage-mend-sql';
import type { StoredRow } from './storage-sql';
import { toRow } from './stored-entry';

/**
 * What this instance last did to the row of `key`, not checked against the shared tier yet: wrote
 * `row` (unmarked) with `mark`, or deleted it (no `row`).
 */
export type Unchecked =
  | { readonly key: string; readonly row: StoredRow; readonly mark: string }
  | { readonly key: string; readonly row?: undefined };

/** The statements that bring a batch of rows in line with the shared tier. */
export interface Mends {
  /** Rows to delete, each while it carries the mark this instance wrote it with. */
  readonly gone: WrittenRow[];
  /** Rows to replace by the shared tier's entry, each while it carries that mark. */
  readonly changed: MendedRow[];
  /**
   * Rows this instance deleted that the shared tier holds (unmarked): written unless a live row
   * is there.
   */
  readonly missing: StoredRow[];
}

/**
 * Compares what this instance last did to each row of `batch` with what the shared tier holds
 * (`entries`, in the same order) and says what to mend; rows replaced carry `mark`. An entry
 * kept in memory only is one the table must not hold; one that cannot be encoded is left alone.
 */
export function mendsOf(
  namespace: string,
  batch: readonly Unchecked[],
  entries: ReadonlyArray<CacheEntry | undefined>,
  mark: string,
): Mends {
  const mends: Mends = { gone: [], changed: [], missing: [] };
  batch.forEach((done, i) => {
    const entry = entries[i];
    if (entry === undefined || entry.persistence === PersistenceLevel.MEMORY_ONLY) {
      if (done.row) mends.gone.push({ key: done.key, mark: done.mark });
      return;
    }
    const now = rowOf(namespace, done.key, entry);
    if (now === undefined) return;
    if (!done.row) mends.missing.push(now);
    else if (!sameRow(now, done.row))
      mends.changed.push({ row: withMark(now, mark), was: done.mark });
  });
  return mends;
}

/** Whether there is nothing to mend. */
export function noMends({ gone, changed, missing }: Mends): boolean {
  return gone.length === 0 && changed.length === 0 && missing.length === 0;
}

/** `row` with `mark` as the last field of its metadata (an object, never empty: see `toRow`). */
export function withMark(row: StoredRow, mark: string): StoredRow {
  return { ...row, metadata: `${row.metadata.slice(0, -1)},"w":${JSON.stringify(mark)}}` };
}

function sameRow(a: StoredRow, b: StoredRow): boolean {
  return a.value === b.value && a.expiresAt === b.expiresAt && a.metadata === b.metadata;
}

/** The row of the shared tier's entry; undefined when it cannot be encoded. */
function rowOf(namespace: string, key: string, entry: CacheEntry): StoredRow | undefined {
  try {
    return toRow(namespace, key, entry);
  } catch {
    return undefined;
  }
}
