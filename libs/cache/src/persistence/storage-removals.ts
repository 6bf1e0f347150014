import { joinRemoved, type RemovedKeys } from '../tiers/removed-keys';
import { compileGlob } from '../values/glob';
import type { Removal } from './removal';
import { queryRows, type StorageQuery } from './storage-rows';
import type { Statement, StorageSql } from './storage-sql';
import { isStaleRow } from './stored-entry';

/**
 * Deletes the rows of `namespace` a removal covers (keys and tags in batches of `batchSize`),
 * returning the keys of those that were live: held, or stale (within their grace period).
 */
export async function removeRows(
  db: StorageQuery,
  sql: StorageSql,
  namespace: string,
  removal: Removal,
  batchSize: number,
): Promise<RemovedKeys> {
  if ('all' in removal) return removed(db, sql.deleteKeys(namespace));
  // Tags in batches, as keys: SQLite takes at most 32766 parameters in one statement, and a
  // removal that never fits would stay pending, its rows left to come back at the next start.
  if ('tags' in removal) {
    return inBatches(removal.tags, batchSize, (batch) =>
      removed(db, sql.deleteByTags(namespace, batch)),
    );
  }
  const keys = 'keys' in removal ? removal.keys : await matching(db, sql, namespace, removal.glob);
  return inBatches(keys, batchSize, (batch) => removed(db, sql.deleteKeys(namespace, batch)));
}

/** Runs `remove` on each batch of `items` in turn, joining what they removed. */
async function inBatches(
  items: readonly string[],
  batchSize: number,
  remove: (batch: readonly string[]) => Promise<RemovedKeys>,
): Promise<RemovedKeys> {
  const batches: RemovedKeys[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    batches.push(await remove(items.slice(start, start + batchSize)));
  }
  return joinRemoved(batches);
}

/** The keys a glob matches: LIKE narrows them down; the glob itself decides. */
async function matching(
  db: StorageQuery,
  sql: StorageSql,
  namespace: string,
  glob: string,
): Promise<string[]> {
  const pattern = compileGlob(glob);
  const candidates = await queryRows<{ key: string }>(db, sql.candidates(namespace, glob));
  return candidates.map((row) => row.key).filter((key) => pattern.test(key));
}

/** Runs a delete that returns `key, live, metadata`; answers the live keys, held or stale. */
async function removed(db: StorageQuery, statement: Statement): Promise<RemovedKeys> {
  const rows = await queryRows<{ key: string; live: boolean | number; metadata: unknown }>(
    db,
    statement,
  );
  const now = Date.now();
  const held: string[] = [];
  const stale: string[] = [];
  for (const row of rows) {
    if (row.live) (isStaleRow(row.metadata, now) ? stale : held).push(row.key);
  }
  return { held, stale };
}
