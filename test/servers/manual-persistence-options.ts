import type { ResolvedPersistenceOptions } from '../../libs/cache/src/options/resolved-options';

/**
 * Options for a `PersistenceManager` a test builds and drives by hand: its timers never fire
 * within a test (the test flushes), nothing is loaded at start, and the table is created.
 * `overrides` name the store (`dataSource`) and whatever else the test needs otherwise.
 */
export function manualPersistenceOptions(
  overrides: Pick<ResolvedPersistenceOptions, 'dataSource'> & Partial<ResolvedPersistenceOptions>,
): ResolvedPersistenceOptions {
  return {
    flushInterval: 3_600_000,
    cleanupInterval: 3_600_000,
    batchSize: 100,
    pageSize: 100,
    loadOnStartup: false,
    migrate: true,
    configured: true,
    ...overrides,
  };
}
