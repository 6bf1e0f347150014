/** What one namespace has done since start, and what it holds now. */
export interface NamespaceStats {
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); 0 before the first read. */
  readonly hitRate: number;
  readonly sets: number;
  readonly deletes: number;
  readonly evictions: number;
  readonly expirations: number;
  /** Entries held in memory (an expired entry counts until it is touched or evicted). */
  readonly entries: number;
  /**
   * Where `entries` comes from: `memory`; `shared` for a namespace without memory (the shared
   * tier's count, at most 30 s old; `bytes` and `persistent` are not tracked there and read 0);
   * `unknown` until that first count answers (then every size field reads 0 and means nothing).
   */
  readonly entriesSource: 'memory' | 'shared' | 'unknown';
  /** Approximate bytes held in memory (JSON size of keys and values). */
  readonly bytes: number;
  /** Entries held whose persistence level is not MEMORY_ONLY. */
  readonly persistent: number;
  /** Entries held whose persistence level is MEMORY_ONLY. */
  readonly memoryOnly: number;
  /** Faults the cache absorbed (also emitted as `error` events). */
  readonly errors: number;
  /** Stale values served (within grace) because a loader failed or was slow. */
  readonly staleServes: number;
  /** Loader calls by `getOrSet`, `getOrSetMany` and refreshes. */
  readonly loaderCalls: number;
  /** Loader calls that threw. */
  readonly loaderFailures: number;
  /** Reads: hits + misses. */
  readonly accesses: number;
  /** With metrics on: cumulative latency of reads, writes and loader calls. */
  readonly latency?: Readonly<Record<'get' | 'set' | 'loader', { count: number; seconds: number }>>;
}

/** The mutable counters behind `NamespaceStats`: plain fields, so counting allocates nothing. */
export class NamespaceCounters {
  hits = 0;
  misses = 0;
  sets = 0;
  deletes = 0;
  evictions = 0;
  expirations = 0;
  errors = 0;
  staleServes = 0;
  loaderCalls = 0;
  loaderFailures = 0;

  /** Combines the counters with what the tiers hold. */
  snapshot(held: {
    entries: number;
    bytes: number;
    persistent: number;
    source?: NamespaceStats['entriesSource'];
  }): NamespaceStats {
    const reads = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      hitRate: reads === 0 ? 0 : this.hits / reads,
      sets: this.sets,
      deletes: this.deletes,
      evictions: this.evictions,
      expirations: this.expirations,
      entries: held.entries,
      entriesSource: held.source ?? 'memory',
      bytes: held.bytes,
      persistent: held.persistent,
      memoryOnly: held.entries - held.persistent,
      errors: this.errors,
      staleServes: this.staleServes,
      loaderCalls: this.loaderCalls,
      loaderFailures: this.loaderFailures,
      accesses: reads,
    };
  }
}
