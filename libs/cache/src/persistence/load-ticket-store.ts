import type { DataSource } from 'typeorm';
import { LOAD_WINDOW_MS } from '../tiers/load-window';
import type { LoadTicket } from '../tiers/cache-tier.interface';
import { LoadTicketSql } from './load-ticket-sql';
import type { Removal } from './removal';
import { queryRows, resultRows, toLoadedRows, type LoadedRow } from './storage-rows';
import type { Statement, StoredRow } from './storage-sql';

/** The write counter when a load began, and the version of the row it read (null: none). */
interface TableTicket extends LoadTicket {
  readonly counter: string;
  readonly version: string | null;
}

/**
 * The ticket of a load whose first read failed: counter 0 and no row, so any row, delete mark or
 * epoch refuses its store.
 */
export function unreadTableTicket(): LoadTicket {
  const ticket: TableTicket = { issuedAt: Date.now(), counter: '0', version: null };
  return ticket;
}

/** What a load's first read found of one key, and its ticket. */
export interface TicketedRow {
  readonly row: LoadedRow | undefined;
  readonly ticket: LoadTicket;
}

/**
 * Load tickets on the PostgreSQL tier, with the guarantees of the Redis tier's: a load's store
 * lands only if nothing changed its key since the load read it. A write is seen by the row's
 * version (`xmin`: every write of a row makes a new one); a delete leaves a mark and a removal by
 * rule (tags, pattern, clear) moves the namespace's epoch, both numbered by its write counter,
 * in the table itself (see `LoadTicketSql`): no schema change, so tables of any age and apps
 * with `migrate: false` have them too. A load that outlasted `LOAD_WINDOW_MS` stores nothing.
 */
export class LoadTicketStore {
  private readonly sql: LoadTicketSql;

  constructor(
    private readonly dataSource: DataSource,
    prefix: string,
  ) {
    this.sql = new LoadTicketSql('postgres', prefix);
  }

  /** The live rows of `keys`, in order, each with its ticket: one statement, one snapshot. */
  async read(namespace: string, keys: readonly string[]): Promise<TicketedRow[]> {
    const issuedAt = Date.now();
    const rows = await this.run<{ counter: string; version: string | null }>(
      this.sql.read(namespace, keys),
    );
    const counter = rows[0]?.counter ?? '0';
    const found = rows.filter((row) => row.version !== null);
    const byKey = new Map(toLoadedRows(found).map((row, i) => [row.key, { row, i }]));
    return keys.map((key) => {
      const hit = byKey.get(key);
      const version = hit === undefined ? null : found[hit.i].version;
      const ticket: TableTicket = { issuedAt, counter, version };
      return { row: hit?.row, ticket };
    });
  }

  /**
   * Marks a removal before it is carried out, so that loads in flight do not put back what it
   * removes: each deleted key gets a mark, a removal by rule moves the epoch.
   */
  async markRemoval(namespace: string, removal: Removal): Promise<void> {
    if ('keys' in removal) {
      if (removal.keys.length === 0) return;
      await this.run(this.sql.markRemoval(namespace, removal.keys, false));
    } else if (!('tags' in removal && removal.tags.length === 0)) {
      await this.run(this.sql.markRemoval(namespace, [], true));
    }
  }

  /**
   * Writes `row` unless its key was written, deleted or removed by rule since `ticket` was
   * issued; true when written. Past the gate, in one transaction: a removal marking meanwhile
   * either is seen or waits for the write, and then removes it.
   */
  async writeUnlessChanged(row: StoredRow, ticket: LoadTicket): Promise<boolean> {
    const { counter, version } = ticket as TableTicket;
    // Delete marks outlive the load window, not longer loads: those store nothing.
    if (Date.now() - ticket.issuedAt > LOAD_WINDOW_MS) return false;
    return this.dataSource.transaction(async (manager) => {
      const run = async (statement: Statement): Promise<unknown> =>
        manager.query(statement.sql, statement.params);
      await run(this.sql.passGate(row.namespace));
      const written = await run(this.sql.writeUnlessChanged(row, counter, version));
      return resultRows(written).length > 0;
    });
  }

  private run<T>(statement: Statement): Promise<T[]> {
    return queryRows<T>(this.dataSource, statement);
  }
}
