import type { RemovedKeys } from '../tiers/removed-keys';
import type { DirtyEntries } from './dirty-entries';
import { PendingRemovals } from './pending-removals';
import type { Removal } from './removal';
import { SharedFollow } from './shared-follow';
import type { WriteQueue } from './write-queue';
import type { GuardedStore, StoreGuard } from './store-guard';

/**
 * The table as each namespace's changes reach it. A removal by rule that failed waits whole
 * (`PendingRemovals`), and every statement of its namespace sent through `of` or `remove` applies
 * it first, whoever sends it (a write, a removal, a flush): so it goes before any later change of
 * its namespace, a rule kept here alone. A delete the database carries out after its deadline
 * counts as applied (`appliedLate`).
 */
export class OrderedTable {
  private readonly pending = new PendingRemovals();
  /** Checks the rows of namespaces kept in a shared tier against it once they land. */
  readonly follow: SharedFollow;

  constructor(
    private readonly guard: StoreGuard,
    private readonly dirty: DirtyEntries,
    /** Keys per delete statement. */
    private readonly batchSize: number,
    /** The queue of the table's changes: a check of rows that landed waits its turn there. */
    queue: Pick<WriteQueue, 'enqueue'>,
  ) {
    this.follow = new SharedFollow((namespace) => this.of(namespace), batchSize, queue);
  }

  /** The statements of `namespace`, each sent once the removals waiting for it are applied. */
  of(namespace: string): GuardedStore {
    return {
      upsert: async (rows, batchSize) => {
        await this.applyWaiting(namespace);
        if (!this.follow.follows(namespace)) return this.guard.store.upsert(rows, batchSize);
        const mark = this.follow.mark();
        try {
          await this.guard.store.upsert(this.follow.marked(rows, mark), batchSize);
        } finally {
          // Even a statement that failed may land later (past its deadline): checked either way.
          this.follow.written(namespace, rows, mark);
        }
      },
      remove: async (_namespace, removal, batchSize) => {
        await this.applyWaiting(namespace);
        const follows = 'keys' in removal && this.follow.follows(namespace);
        try {
          return await this.statement(namespace, removal, batchSize);
        } finally {
          // As a write: a delete that failed may land later; checked either way.
          if (follows) this.follow.removed(namespace, removal.keys);
        }
      },
      probe: () => this.guard.store.probe(),
      mend: async (_namespace, gone, changed, missing) => {
        await this.applyWaiting(namespace);
        return this.guard.store.mend(namespace, gone, changed, missing);
      },
    };
  }

  /**
   * Deletes the rows `removal` covers, and those of the keys memory alone held, once the removals
   * waiting for `namespace` are applied.
   */
  async remove(namespace: string, removal: Removal): Promise<void> {
    const store = this.of(namespace);
    await store.remove(namespace, removal, this.batchSize);
    const held = 'held' in removal ? removal.held : undefined;
    if (held?.length) await store.remove(namespace, { keys: held }, this.batchSize);
  }

  /** Keeps a removal by rule that failed: the next statement of `namespace` applies it first. */
  keep(namespace: string, removal: Exclude<Removal, { keys: readonly string[] }>): void {
    this.pending.add(namespace, removal);
  }

  /** Applies the removals waiting for `namespace` (a flush with nothing else of it to write). */
  applyWaiting(namespace: string): Promise<void> {
    return this.pending.retry(namespace, async (statement) => {
      await this.statement(namespace, statement, this.batchSize);
    });
  }

  /** The namespaces with a removal waiting. */
  namespaces(): string[] {
    return this.pending.namespaces();
  }

  /** How many removals by rule wait, merged as `PendingRemovals.count` counts them. */
  waiting(): number {
    return this.pending.count();
  }

  /**
   * Forgets every removal still waiting, by rule and the pending deletes of keys; answers how many
   * each namespace had.
   */
  discard(): Map<string, number> {
    const discarded = this.dirty.discardDeletes();
    for (const namespace of this.pending.namespaces())
      discarded.set(namespace, (discarded.get(namespace) ?? 0) + this.pending.count(namespace));
    this.pending.clear();
    return discarded;
  }

  /** One delete, counted applied if the database carries it out after its deadline. */
  private statement(namespace: string, removal: Removal, batchSize: number): Promise<RemovedKeys> {
    return this.guard.store.remove(namespace, removal, batchSize, () =>
      this.appliedLate(namespace, removal),
    );
  }

  /**
   * A delete failed its deadline and the database carried it out later, before any later
   * statement ran (`StoreGuard`): what it removed no longer waits to be retried, neither by rule
   * nor as the pending deletes of its keys, so a delete that always outlasts the deadline does not
   * hold its namespace's later changes forever, nor is sent again over rows written since.
   */
  private appliedLate(namespace: string, statement: Removal): void {
    this.pending.applied(namespace, statement);
    if ('keys' in statement) this.dirty.deleted(namespace, statement.keys);
  }
}
