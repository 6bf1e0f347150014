import type { Logger } from '@nestjs/common';
import type { CacheEntry } from '../tiers/cache-entry';
import { assertKey } from '../values/validate-key';
import type { StorageStore } from './storage-store';
import { fromRow } from './stored-entry';
import { loggedMessage, quoted } from '../logging/log-text';

/** Where warm start reads a namespace's rows, page by page. */
export type PageSource = Pick<StorageStore, 'forEachPage'>;

/** A namespace as warm start sees it: where its rows go, and where a bad one is reported. */
export interface RestorableNamespace {
  readonly name: string;
  /**
   * Puts a page of entries back (in bulk, never over a value the tiers hold); answers the ones
   * it could not, with why.
   */
  restoreMany(
    entries: ReadonlyArray<readonly [string, CacheEntry]>,
  ): Promise<ReadonlyArray<{ readonly key: string; readonly error: Error }>>;
  fault(operation: string, error: Error, key?: string): void;
}

/**
 * Loads the unexpired rows of one namespace into it, page by page as they stream in (never the
 * whole table in memory; the next page is read while one is restored), each page restored in
 * bulk. A row that does not decode or restore is logged, reported and skipped.
 */
export async function loadNamespace(
  store: PageSource,
  namespace: RestorableNamespace,
  pageSize: number,
  logger: Logger,
): Promise<void> {
  let loaded = 0;
  const skip = (key: string, error: Error): void => {
    logger.warn(
      `skipped a row of ${quoted(namespace.name)}, key ${quoted(key)}: ${loggedMessage(error)}`,
    );
    namespace.fault('load', error, key);
  };
  await store.forEachPage(namespace.name, pageSize, async (rows) => {
    const entries: Array<readonly [string, CacheEntry]> = [];
    for (const row of rows) {
      try {
        // Memory holds no key that fails the check (a hit does not check it): a row written
        // around the cache with such a key stays in the table, unloaded.
        assertKey(row.key);
        entries.push([row.key, fromRow(row)]);
      } catch (error) {
        skip(row.key, error as Error);
      }
    }
    const failed = await namespace.restoreMany(entries);
    for (const { key, error } of failed) skip(key, error);
    loaded += entries.length - failed.length;
  });
  if (loaded > 0) logger.log(`loaded ${loaded} entries into ${quoted(namespace.name)}`);
}
