import { InvalidOptionError } from '../errors/cache.error';
import { CACHE_DEFAULTS } from './cache-options.defaults';
import { parseTimerDuration } from './duration';
import {
  describe,
  expectBoolean,
  expectKnownKeys,
  expectObject,
  expectPositiveInteger,
} from './option-checks';
import type { ResolvedCacheOptions, ResolvedPersistenceOptions } from './resolved-options';

const PERSISTENCE_KEYS = [
  'dataSource',
  'flushInterval',
  'batchSize',
  'loadOnStartup',
  'migrate',
  'cleanupInterval',
] as const;

/** Validates `persistence` and fills in its defaults. */
export function validatePersistence(raw: unknown): ResolvedPersistenceOptions {
  const options = expectObject(raw ?? {}, 'persistence');
  expectKnownKeys(options, PERSISTENCE_KEYS, 'persistence');
  const { dataSource } = options;
  if (
    dataSource !== undefined &&
    (typeof dataSource !== 'object' ||
      dataSource === null ||
      !('options' in dataSource || 'type' in dataSource))
  ) {
    throw new InvalidOptionError(
      `persistence.dataSource: expected a TypeORM DataSource or DataSourceOptions, got ${describe(dataSource)}`,
    );
  }
  return {
    dataSource: dataSource as ResolvedPersistenceOptions['dataSource'],
    flushInterval: parseTimerDuration(
      options.flushInterval ?? CACHE_DEFAULTS.flushInterval,
      'persistence.flushInterval',
    ),
    batchSize:
      options.batchSize === undefined
        ? CACHE_DEFAULTS.batchSize
        : expectPositiveInteger(options.batchSize, 'persistence.batchSize'),
    loadOnStartup: expectBoolean(
      options.loadOnStartup ?? CACHE_DEFAULTS.loadOnStartup,
      'persistence.loadOnStartup',
    ),
    migrate: expectBoolean(options.migrate ?? CACHE_DEFAULTS.migrate, 'persistence.migrate'),
    cleanupInterval: parseTimerDuration(
      options.cleanupInterval ?? CACHE_DEFAULTS.cleanupInterval,
      'persistence.cleanupInterval',
    ),
    pageSize: CACHE_DEFAULTS.loadPageSize,
    configured: raw !== undefined,
  };
}

/** True when persistence goes to PostgreSQL, so the table can serve as a tier. */
export function persistsToPostgres(root: ResolvedCacheOptions): boolean {
  const source = root.persistence.dataSource as
    { type?: string; options?: { type?: string } } | undefined;
  return (source?.options?.type ?? source?.type) === 'postgres';
}
