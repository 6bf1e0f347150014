import { randomBytes } from 'node:crypto';
import type { SharedEntries } from './persistence-types';
import { mendsOf, noMends, withMark, type Unchecked } from './shared-mends';
import type { StoredRow } from './storage-sql';
import type { GuardedStore } from './store-guard';
import type { WriteQueue } from './write-queue';

/**
 * Keeps the rows of namespaces whose entries live in a shared tier (Redis) in line with it across
 * instances. Each instance orders its own table statements, but not against other instances': a
 * write or delete its slow database link held back can land after another instance changed the
 * key. So every row it writes carries a mark (`w` in its metadata, unique to that statement), and
 * once a batch of writes or deletes has landed the shared tier is read for its keys (one read per
 * batch): a row the shared tier no longer holds, or holds otherwise, is deleted or replaced by the
 * shared tier's entry, only while it still carries this instance's mark; a row it deleted that the
 * shared tier holds is written back unless a live row is there (and checked again, as a write).
 * A row another instance changed since is that instance's to check, so two instances never undo
 * each other; whoever changes a row last checks it after the shared tier changed last, so the
 * table ends as the shared tier holds it.
 */
export class SharedFollow {
  private readonly shared = new Map<string, SharedEntries>();
  /** What this instance last did to rows it has not checked yet, by namespace and key. */
  private readonly unchecked = new Map<string, Map<string, Unchecked>>();
  /** Rows whose check failed, checked again on the next flush. */
  private readonly failed = new Map<string, Map<string, Unchecked>>();
  private readonly instance = randomBytes(6).toString('base64url');
  private statements = 0;
  /** The checks running now, one after another while rows keep landing. */
  private running: Promise<void> | undefined;

  constructor(
    /** The statements of a namespace, as the table's queue runs them. */
    private readonly store: (namespace: string) => GuardedStore,
    /** Keys per read of the shared tier and per mending statement. */
    private readonly batchSize: number,
    /** The table's queue: a mending statement takes its turn there. */
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
   * are checked now, or once the check running now ends.
   */
  written(namespace: string, rows: readonly StoredRow[], mark: string): void {
    const keys = this.uncheckedOf(namespace);
    for (const row of rows) keys.set(row.key, { key: row.key, row, mark });
    this.schedule();
  }

  /** The rows of `keys` were deleted (or their statement was sent): checked as `written` is. */
  removed(namespace: string, keys: readonly string[]): void {
    const unchecked = this.uncheckedOf(namespace);
    for (const key of keys) unchecked.set(key, { key });
    this.schedule();
  }

  /**
   * Checks the rows changed since the last check, unless a check runs (it starts the next one
   * when it ends). The shared tier is read outside the table's queue, so no change of this
   * instance waits for a check; only a mending statement takes a turn there. `retry`: the rows
   * whose check failed are checked too (a flush).
   */
  schedule(retry = false): void {
    if (retry) {
      for (const [namespace, keys] of this.failed.entries()) this.keep(namespace, keys);
      this.failed.clear();
    }
    if (this.running || this.unchecked.size === 0) return;
    this.running = this.check().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  /**
   * Resolves once the rows recorded so far are checked: they are in the check running now or in
   * the next one, so at most two are awaited. Waiting for every later check as well would never
   * end while writes keep landing (a flush or close under steady traffic).
   */
  async settled(): Promise<void> {
    for (let i = 0; i < 2 && this.running; i++) await this.running;
  }

  private async check(): Promise<void> {
    const batches = [...this.unchecked];
    this.unchecked.clear();
    for (const [namespace, keys] of batches) {
      const done = [...keys.values()];
      for (let start = 0; start < done.length; start += this.batchSize) {
        const batch = done.slice(start, start + this.batchSize);
        // Checked again on the next flush (a shared tier or database that did not answer).
        if (!(await this.mend(namespace, batch).catch(() => false)))
          this.keep(namespace, new Map(batch.map((row) => [row.key, row])), this.failed);
      }
    }
  }

  /**
   * Reads the shared tier for `batch`, then mends the rows that differ from it, in a turn of the
   * table's queue. False when the shared tier could not answer.
   */
  private async mend(namespace: string, batch: readonly Unchecked[]): Promise<boolean> {
    const entries = await this.shared.get(namespace)?.(batch.map(({ key }) => key));
    if (!entries) return false;
    const mark = this.mark();
    const mends = mendsOf(namespace, batch, entries, mark);
    if (noMends(mends)) return true;
    const { gone, changed, missing } = mends;
    const marked = this.marked(missing, mark);
    const inserted = new Set(
      await this.queue.enqueue(() => this.store(namespace).mend(namespace, gone, changed, marked)),
    );
    // A row written back may be one another instance deleted meanwhile: checked as a write.
    const back = missing.filter((row) => inserted.has(row.key));
    if (back.length > 0) this.written(namespace, back, mark);
    return true;
  }

  /** Adds `rows` to be checked (to `into`), unless this instance changed their rows since. */
  private keep(
    namespace: string,
    rows: ReadonlyMap<string, Unchecked>,
    into = this.unchecked,
  ): void {
    const keys = this.uncheckedOf(namespace, into);
    for (const [key, done] of rows) if (!keys.has(key)) keys.set(key, done);
  }

  private uncheckedOf(namespace: string, of = this.unchecked): Map<string, Unchecked> {
    let keys = of.get(namespace);
    if (!keys) {
      keys = new Map<string, Unchecked>();
      of.set(namespace, keys);
    }
    return keys;
  }
}
