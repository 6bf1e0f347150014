import { joinRemoved, type RemovedKeys } from '../tiers/removed-keys';
import { compileGlob } from '../values/glob';
import type { Removal } from './removal';
import { queryRows, type StorageQuery } from './storage-rows';
import type { Statement, StorageSql } from './storage-sql';
import { isStaleRow } from './stored-entry';

/**
 * Deletes the rows of `namespace` a removal covers (keys in batches of `batchSize`), returning the
 * keys of those that were live: held, or stale (within their grace period).
 */
export async function removeRows(
  db: StorageQuery,
  sql: StorageSql,
  namespace: string,
  removal: Removal,
  batchSize: number,
): Promise<RemovedKeys> {
  if ('all' in removal) return removed(db, sql.deleteKeys(namespace));
  if ('tags' in removal) {
    if (removal.tags.length === 0) return { held: [], stale: [] };
    return removed(db, sql.deleteByTags(namespace, removal.tags));
  }
  const keys = 'keys' in removal ? removal.keys : await matching(db, sql, namespace, removal.glob);
  const batches: RemovedKeys[] = [];
  for (let start = 0; start < keys.length; start += batchSize) {
    const batch = keys.slice(start, start + batchSize);
    batches.push(await removed(db, sql.deleteKeys(namespace, batch)));
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
