import { DELETE_MARK_MS } from '../tiers/load-window';
import { CACHE_STORAGE_TABLE as TABLE } from './cache-storage.entity';
import type { StoredRow, Statement } from './storage-sql';
import { StorageSqlParts } from './storage-sql-parts';

const COLUMNS = 'prefix, namespace, key, value, expires_at, metadata, created_at, updated_at';
/** Marks and the write counter are never persisted entries: their metadata says so. */
const MARK_METADATA = '{"persistence":"memory"}';
/** The key of the write counter among the marks: no cache key is empty. */
const COUNTER_KEY = '';

/**
 * The statements of the PostgreSQL tier's load tickets (see `LoadTicketStore`), PostgreSQL only.
 * The marks of namespace `ns` are rows of `cache_storage` in the namespace `ns:loads` (no
 * namespace name holds a `:`): under the empty key the write counter `{"n", "e"}` (`e`: its value
 * at the last removal by rule), under each deleted key `{"n"}`, the counter of its last delete.
 */
export class LoadTicketSql extends StorageSqlParts {
  /**
   * The live rows of `keys` with their version (`xmin`, the transaction that wrote them) and the
   * write counter, in one snapshot: at least one row, whose `key` is null when none is live.
   */
  read(namespace: string, keys: readonly string[]): Statement {
    return {
      sql: `SELECT counter.n AS counter, found.* FROM (SELECT coalesce((SELECT value ->> 'n'
          FROM ${TABLE} WHERE prefix = $1 AND namespace = $5 AND key = $6), '0') AS n) counter
        LEFT JOIN (SELECT key, ${this.text()}, ${this.expiry()}, xmin::text AS version
          FROM ${TABLE} WHERE ${this.scope()} AND ${this.live(3)} AND ${this.among(4, keys.length)}
        ) found ON true`,
      params: [
        this.prefix,
        namespace,
        this.time(Date.now()),
        keys,
        marksOf(namespace),
        COUNTER_KEY,
      ],
    };
  }

  /**
   * Moves the write counter (and with `rule` the epoch) and marks each of `keys` with it, under
   * the namespace's gate held until commit: a load's store that passed the gate first is written
   * before this commits; one after sees the marks.
   */
  markRemoval(namespace: string, keys: readonly string[], rule: boolean): Statement {
    const next = `(${TABLE}.value ->> 'n')::bigint + 1`;
    return {
      sql: `WITH gate AS (SELECT pg_advisory_xact_lock(hashtextextended($3, 0))),
        counter AS (INSERT INTO ${TABLE} (${COLUMNS})
          SELECT $1, $2, $4, jsonb_build_object('n', 1, 'e', CASE WHEN $5::boolean THEN 1 ELSE 0 END),
            NULL, $6::jsonb, now(), now() FROM gate
          ON CONFLICT (prefix, namespace, key) DO UPDATE SET updated_at = now(),
            value = jsonb_build_object('n', ${next},
              'e', CASE WHEN $5::boolean THEN ${next} ELSE (${TABLE}.value ->> 'e')::bigint END)
          RETURNING value -> 'n' AS n)
        INSERT INTO ${TABLE} (${COLUMNS})
          SELECT $1, $2, marked.key, jsonb_build_object('n', counter.n), $7::timestamptz, $6::jsonb, now(), now()
          FROM counter, unnest($8::text[]) AS marked(key)
        ON CONFLICT (prefix, namespace, key) DO UPDATE SET value = excluded.value,
          expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
      params: [
        this.prefix,
        marksOf(namespace),
        gateOf(this.prefix, namespace),
        COUNTER_KEY,
        rule,
        MARK_METADATA,
        this.time(Date.now() + DELETE_MARK_MS),
        keys,
      ],
    };
  }

  /** Waits for removals marking now, and holds them off until commit (see `markRemoval`). */
  passGate(namespace: string): Statement {
    return {
      sql: 'SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))',
      params: [gateOf(this.prefix, namespace)],
    };
  }

  /**
   * Writes `row` only if no delete mark of its key and no removal by rule is newer than
   * `counter`, and the key still holds the row of `version` (null: no live row). Returns its key
   * when written.
   */
  writeUnlessChanged(row: StoredRow, counter: string, version: string | null): Statement {
    const params: unknown[] = [
      this.prefix,
      row.namespace,
      row.key,
      row.value,
      this.time(row.expiresAt),
      row.metadata,
      marksOf(row.namespace),
      COUNTER_KEY,
      counter,
    ];
    const unchanged = `NOT EXISTS (SELECT 1 FROM ${TABLE} WHERE prefix = $1 AND namespace = $7
      AND ((key = $8 AND (value ->> 'e')::bigint > $9::bigint)
        OR (key = $3 AND (value ->> 'n')::bigint > $9::bigint)))`;
    if (version !== null) {
      params.push(version);
      return {
        sql: `UPDATE ${TABLE} SET value = $4::jsonb, expires_at = $5::timestamptz, metadata = $6::jsonb,
            updated_at = now()
          WHERE prefix = $1 AND namespace = $2 AND key = $3 AND xmin = $10::xid AND ${unchanged}
          RETURNING key`,
        params,
      };
    }
    params.push(this.time(Date.now()));
    return {
      sql: `INSERT INTO ${TABLE} (${COLUMNS})
          SELECT $1, $2, $3, $4::jsonb, $5::timestamptz, $6::jsonb, now(), now() WHERE ${unchanged}
        ON CONFLICT (prefix, namespace, key) DO UPDATE SET value = excluded.value,
          expires_at = excluded.expires_at, metadata = excluded.metadata,
          created_at = excluded.created_at, updated_at = excluded.updated_at
        WHERE ${TABLE}.expires_at IS NOT NULL AND ${TABLE}.expires_at <= $10
        RETURNING key`,
      params,
    };
  }
}

/** The namespace of the marks of `namespace`. */
function marksOf(namespace: string): string {
  return `${namespace}:loads`;
}

/**
 * The advisory lock name of a namespace's gate: the name of the lock `StorageStore.change` would
 * take on the empty key, which no cache key is.
 */
function gateOf(prefix: string, namespace: string): string {
  return `${prefix}:${namespace}:`;
}
