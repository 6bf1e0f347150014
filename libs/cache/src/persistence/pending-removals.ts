import { CacheError } from '../errors/cache.error';
import type { Removal } from './removal';

/** Removals that never reached the table were discarded at close: their rows stay. */
export class RemovalsDiscardedError extends CacheError {
  constructor(namespace: string, count: number) {
    super(
      `${count} removal(s) of namespace "${namespace}" never reached the table and are discarded ` +
        'at close: the rows they take stay in cache_storage',
      'E_CACHE_UNAVAILABLE',
      'loadOnStartup would load them again: delete or invalidate them once the database answers',
    );
  }
}

/** What waits to be removed from one namespace's rows, merged. */
interface Waiting {
  /** Every row: supersedes the rest. */
  all: boolean;
  tags: Set<string>;
  globs: Set<string>;
  /** Keys memory alone held when a rule took them: their rows go whatever they were stored with. */
  held: Set<string>;
}

/**
 * Removals by tag, by glob or of everything that failed to reach the table, per namespace.
 * Unlike a key's, such a removal cannot wait as pending deletes of known keys: it waits whole and
 * is retried before any later change of its namespace reaches the table, so its retry never takes
 * a row written after it. Deletes commute and all run before any later change, so a namespace's
 * removals wait merged: one of everything replaces the others, tags are unioned into one removal,
 * globs kept as a set, held keys unioned; however many removals fail, a namespace waits for a few
 * statements.
 */
export class PendingRemovals {
  private readonly pending = new Map<string, Waiting>();

  /** Keeps `removal` for a retry. */
  add(namespace: string, removal: Exclude<Removal, { keys: readonly string[] }>): void {
    let waiting = this.pending.get(namespace);
    if (!waiting || 'all' in removal) {
      waiting = { all: 'all' in removal, tags: new Set(), globs: new Set(), held: new Set() };
      this.pending.set(namespace, waiting);
    }
    if (waiting.all || 'all' in removal) return;
    if ('tags' in removal) for (const tag of removal.tags) waiting.tags.add(tag);
    else waiting.globs.add(removal.glob);
    for (const key of removal.held ?? []) waiting.held.add(key);
  }

  /** Forgets every waiting removal. */
  clear(): void {
    this.pending.clear();
  }

  /** The namespaces with a removal waiting. */
  namespaces(): string[] {
    return [...this.pending.keys()];
  }

  /**
   * How many removals of `namespace` (of every namespace when undefined) wait: one of everything,
   * one of the tags, one per glob, one of held keys no rule waits with.
   */
  count(namespace?: string): number {
    if (namespace !== undefined) return countOf(this.pending.get(namespace));
    let waiting = 0;
    for (const removal of this.pending.values()) waiting += countOf(removal);
    return waiting;
  }

  /**
   * Applies the waiting removals of `namespace` statement by statement through `apply`; each is
   * forgotten once applied. The first failure stops the rest and propagates.
   */
  async retry(namespace: string, apply: (statement: Removal) => Promise<void>): Promise<void> {
    for (let statement = this.next(namespace); statement; statement = this.next(namespace)) {
      await apply(statement);
      this.applied(namespace, statement);
    }
  }

  /**
   * The table carried out `statement` (as the database answered it, however late): what it
   * removed no longer waits. Held keys a rule took go by a statement of their own (`keys`).
   */
  applied(namespace: string, statement: Removal): void {
    const waiting = this.pending.get(namespace);
    if (!waiting) return;
    if ('all' in statement) waiting.all = false;
    else if ('keys' in statement) for (const key of statement.keys) waiting.held.delete(key);
    else if ('tags' in statement) for (const tag of statement.tags) waiting.tags.delete(tag);
    else waiting.globs.delete(statement.glob);
    if (countOf(waiting) === 0) this.pending.delete(namespace);
  }

  /** The next statement a retry of `namespace` sends. */
  private next(namespace: string): Removal | undefined {
    const waiting = this.pending.get(namespace);
    if (!waiting) return undefined;
    if (waiting.all) return { all: true };
    if (waiting.tags.size > 0) return { tags: [...waiting.tags] };
    for (const glob of waiting.globs) return { glob };
    if (waiting.held.size > 0) return { keys: [...waiting.held] };
    return undefined;
  }
}

function countOf(waiting: Waiting | undefined): number {
  if (!waiting) return 0;
  if (waiting.all) return 1;
  const rules = (waiting.tags.size > 0 ? 1 : 0) + waiting.globs.size;
  return rules > 0 ? rules : waiting.held.size > 0 ? 1 : 0;
}
