import { randomBytes } from 'node:crypto';
import { PersistenceLevel } from '../options/persistence-level';
import type { CacheEntry } from '../tiers/cache-entry';
import type { SharedEntries } from './persistence-types';
import type { MendedRow, WrittenRow } from './storage-mend-sql';
import type { StoredRow } from './storage-sql';
import type { GuardedStore } from './store-guard';
import { toRow } from './stored-entry';
import type { WriteQueue } from './write-queue';

/** A row as this instance last wrote it (unmarked), and the mark it was written with. */
interface Written {
  readonly row: StoredRow;
  readonly mark: string;
}

/**
 * Keeps the rows of namespaces whose entries live in a shared tier (Redis) in line with it across
 * instances. Each instance orders its own table writes, but not against other instances': a write
 * its slow database link held back can land after another instance deleted or rewrote the key.
 * So every row it writes carries a mark (`w` in its metadata, unique to that statement), and once
 * a batch has landed the shared tier is read for its keys (one read per batch); a row whose entry
 * the shared tier no longer holds, or holds otherwise, is deleted or replaced by the shared tier's
 * entry, only while it still carries this instance's mark: a row another instance wrote since is
 * that instance's to check, so two instances never undo each other. Whatever writes a row last
 * checks it after the shared tier changed last, so the table ends as the shared tier holds it.
 */
export class SharedFollow {
  private readonly shared = new Map<string, SharedEntries>();
  /** Rows landed (or sent) and not checked yet, by namespace and key. */
  private readonly unchecked = new Map<string, Map<string, Written>>();
  private readonly instance = randomBytes(6).toString('base64url');
  private statements = 0;
  private checking = false;

  constructor(
    /** The statements of a namespace, as the table's queue runs them. */
    private readonly store: (namespace: string) => GuardedStore,
    /** Keys per read of the shared tier and per mending statement. */
    private readonly batchSize: number,
    /** The table's queue: a check runs behind the changes queued before it. */
    private readonly queue: Pick<WriteQueue, 'enqueue'>,
  ) {}

  /** `namespace` keeps its entries in the tier `shared` reads. */
  follow(namespace: string, shared: SharedEntries): void {
    this.shared.set(namespace, shared);
  }

  /** Whether the rows of `namespace` are checked against a shared tier. */
  follows(namespace: string): boolean {
    return this.shared.has(namespace);
  }

  /** A new mark, one per statement. */
  mark(): string {
    return `${this.instance}.${(this.statements++).toString(36)}`;
  }

  /** `rows` as written with `mark`. */
  marked(rows: readonly StoredRow[], mark: string): StoredRow[] {
    return rows.map((row) => withMark(row, mark));
  }

  /**
   * `rows` were written with `mark` (or their statement was sent, and may still land): their keys
   * are checked in a turn of the table's queue after this one.
   */
  written(namespace: string, rows: readonly StoredRow[], mark: string): void {
    const keys = this.uncheckedOf(namespace);
    for (const row of rows) keys.set(row.key, { row, mark });
    this.schedule();
  }

  /** Queues a check of the rows written since the last one, unless one is queued. */
  schedule(): void {
    if (this.checking || this.unchecked.size === 0) return;
    this.checking = true;
    void this.queue.enqueue(() => this.check());
  }

  private async check(): Promise<void> {
    this.checking = false;
    const batches = [...this.unchecked];
    this.unchecked.clear();
    for (const [namespace, keys] of batches) {
      const written = [...keys.values()];
      for (let start = 0; start < written.length; start += this.batchSize) {
        const batch = written.slice(start, start + this.batchSize);
        try {
          await this.mend(namespace, batch);
        } catch {
          // Checked again with the next rows that land, or the next periodic flush.
          for (const row of batch) this.keep(namespace, row);
        }
      }
    }
  }

  /** Reads the shared tier for `batch`, then deletes or replaces the rows that differ. */
  private async mend(namespace: string, batch: readonly Written[]): Promise<void> {
    const read = this.shared.get(namespace);
    const entries = await read?.(batch.map(({ row }) => row.key));
    // The shared tier cannot answer: nothing is known to differ.
    if (!entries) return;
    const gone: WrittenRow[] = [];
    const changed: MendedRow[] = [];
    const mark = this.mark();
    batch.forEach(({ row, mark: was }, i) => {
      const entry = entries[i];
      // An entry kept in memory only is one the table must not hold.
      if (entry === undefined || entry.persistence === PersistenceLevel.MEMORY_ONLY) {
        gone.push({ key: row.key, mark: was });
        return;
      }
      const now = rowOf(namespace, row.key, entry);
      if (now === undefined) return;
      if (
        now.value !== row.value ||
        now.expiresAt !== row.expiresAt ||
        now.metadata !== row.metadata
      )
        changed.push({ row: withMark(now, mark), was });
    });
    if (gone.length === 0 && changed.length === 0) return;
    await this.store(namespace).mend(namespace, gone, changed);
  }

  /** Keeps `written` to check again, unless this instance wrote its key since. */
  private keep(namespace: string, written: Written): void {
    const keys = this.uncheckedOf(namespace);
    if (!keys.has(written.row.key)) keys.set(written.row.key, written);
  }

  private uncheckedOf(namespace: string): Map<string, Written> {
    let keys = this.unchecked.get(namespace);
    if (!keys) {
      keys = new Map<string, Written>();
      this.unchecked.set(namespace, keys);
    }
    return keys;
  }
}

/** The row of the shared tier's entry; undefined when it cannot be encoded (left as it is). */
function rowOf(namespace: string, key: string, entry: CacheEntry): StoredRow | undefined {
  try {
    return toRow(namespace, key, entry);
  } catch {
    return undefined;
  }
}

/** `row` with `mark` as the last field of its metadata (an object, never empty: see `toRow`). */
function withMark(row: StoredRow, mark: string): StoredRow {
  return { ...row, metadata: `${row.metadata.slice(0, -1)},"w":${JSON.stringify(mark)}}` };
}
