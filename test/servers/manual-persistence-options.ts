import { validatePersistence } from '../../libs/cache/src/options/persistence-options';
import type { ResolvedPersistenceOptions } from '../../libs/cache/src/options/resolved-options';

/**
 * Options for a `PersistenceManager` a test builds and drives by hand, resolved as the module
 * resolves them (`validatePersistence` owns every default): its timers never fire within a test
 * (the test flushes) and nothing is loaded at start. `overrides` name the store (`dataSource`)
 * and whatever else the test needs otherwise.
 */
export function manualPersistenceOptions(
  overrides: Pick<ResolvedPersistenceOptions, 'dataSource'> & Partial<ResolvedPersistenceOptions>,
): ResolvedPersistenceOptions {
  const resolved = validatePersistence({
    dataSource: overrides.dataSource,
    flushInterval: '1h',
    cleanupInterval: '1h',
    loadOnStartup: false,
  });
  return { ...resolved, ...overrides };
}
