/**
 * The keys a removal deleted from a tier. An entry past its TTL (within its grace period) is
 * absent to every caller, so it is not counted as held; it is deleted all the same, so that
 * `getOrSet` cannot fall back on it afterwards, and persistence and loads in flight hear of it.
 */
export interface RemovedKeys {
  /** Keys that held a fresh entry: what the caller is told it removed. */
  readonly held: readonly string[];
  /** Keys whose entry was past its TTL. */
  readonly stale: readonly string[];
}

/** Every key of `removed`, held and stale. */
export function keysOf(removed: RemovedKeys): readonly string[] {
  return removed.stale.length === 0 ? removed.held : [...removed.held, ...removed.stale];
}

/** Both lists of `many` removals (from several batches or tiers) as one. */
export function joinRemoved(many: readonly RemovedKeys[]): RemovedKeys {
  if (many.length === 1) return many[0];
  return {
    held: many.flatMap((removed) => removed.held),
    stale: many.flatMap((removed) => removed.stale),
  };
}
