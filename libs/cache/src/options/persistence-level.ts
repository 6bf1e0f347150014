/** When an entry is written to the durable store (`cache_storage`). */
export enum PersistenceLevel {
  /** Never written; lives only in the cache tiers. */
  MEMORY_ONLY = 'memory',
  /** Written before `set`/`update`/`increment` resolves; deleted with the entry. */
  ON_CHANGE = 'on_change',
  /** Written by the module's shutdown hook. */
  ON_SHUTDOWN = 'on_shutdown',
  /** Dirty entries are written every `persistence.flushInterval`. */
  PERIODIC = 'periodic',
}

export const PERSISTENCE_LEVELS: readonly PersistenceLevel[] = Object.values(PersistenceLevel);
