import type { Removal } from './removal';

/**
 * Removals by tag, by glob or of everything that failed to reach the table, per namespace.
 * Unlike a key's, such a removal cannot wait as pending deletes of known keys: it waits whole and
 * is retried before any later change of its namespace reaches the table, so its retry never takes
 * a row written after it. Deletes commute, so the same removal waits once, and one of everything
 * replaces the others.
 */
export class PendingRemovals {
  /** Per namespace, each removal under its JSON text, oldest first. */
  private readonly pending = new Map<string, Map<string, Removal>>();

  /** Keeps `removal` for a retry. */
  add(namespace: string, removal: Removal): void {
    let removals = this.pending.get(namespace);
    if (!removals || 'all' in removal)
      this.pending.set(namespace, (removals = new Map<string, Removal>()));
    else if (removals.has(ALL)) return;
    removals.set(JSON.stringify(removal), removal);
  }

  /** The namespaces with a removal waiting. */
  namespaces(): string[] {
    return [...this.pending.keys()];
  }

  /** How many removals of `namespace` (of every namespace when undefined) wait. */
  count(namespace?: string): number {
    if (namespace !== undefined) return this.pending.get(namespace)?.size ?? 0;
    let waiting = 0;
    for (const removals of this.pending.values()) waiting += removals.size;
    return waiting;
  }

  /**
   * Applies the waiting removals of `namespace` one by one, oldest first, through `apply`; each
   * is forgotten once applied. The first failure stops the rest and propagates.
   */
  async retry(namespace: string, apply: (removal: Removal) => Promise<void>): Promise<void> {
    const removals = this.pending.get(namespace);
    for (const [text, removal] of removals ?? []) {
      await apply(removal);
      removals?.delete(text);
    }
    if (removals?.size === 0 && this.pending.get(namespace) === removals)
      this.pending.delete(namespace);
  }
}

const ALL = JSON.stringify({ all: true });
