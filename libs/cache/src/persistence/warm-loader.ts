import type { Logger } from '@nestjs/common';
import type { CacheEntry } from '../tiers/cache-entry';
import type { StorageStore } from './storage-store';
import { fromRow } from './stored-entry';

/** A namespace as warm start sees it: where its rows go, and where a bad one is reported. */
export interface RestorableNamespace {
  readonly name: string;
  restore(key: string, entry: CacheEntry): Promise<void>;
  fault(operation: string, error: Error, key?: string): void;
}

/**
 * Loads the unexpired rows of one namespace into it, page by page (never the whole table in
 * memory). A row that does not decode or restore is logged, reported and skipped.
 */
export async function loadNamespace(
  store: StorageStore,
  namespace: RestorableNamespace,
  pageSize: number,
  logger: Logger,
): Promise<void> {
  let loaded = 0;
  await store.forEachPage(namespace.name, pageSize, async (rows) => {
    for (const row of rows) {
      try {
        await namespace.restore(row.key, fromRow(row));
        loaded++;
      } catch (error) {
        logger.warn(
          `skipped a row of "${namespace.name}", key "${row.key}": ${(error as Error).message}`,
        );
        namespace.fault('load', error as Error, row.key);
      }
    }
  });
  if (loaded > 0) logger.log(`loaded ${loaded} entries into "${namespace.name}"`);
}
