import { PersistenceLevel } from 'nest-tiered-cache';
import {
  PersistenceManager,
  type NamespacePersistence,
  type Removal,
} from '../../libs/cache/src/persistence/persistence-manager';
import { storeTimeout } from '../../libs/cache/src/persistence/store-guard';
import { CircuitBreaker } from '../../libs/cache/src/stack/circuit-breaker';
import type { CacheEntry } from '../../libs/cache/src/tiers/cache-entry';
import { startDatabaseProxy } from './database-proxy';
import { manualPersistenceOptions } from './manual-persistence-options';
import { PostgresDatabase } from './postgres-database';
import type { TcpProxy } from './tcp-proxy';

/** A manager a test drives by hand, and its namespace `ns`. */
export interface ManualPersistence {
  readonly manager: PersistenceManager;
  readonly ns: NamespacePersistence;
}

/**
 * A started manager on `dataSource` whose statements time out after `timeout` ms and whose
 * circuit never opens (every failure a test sees is a statement's own), and its namespace `ns`,
 * whose faults go to `faults` (emptied first).
 */
export async function startManager(
  dataSource: { type: 'postgres'; url: string; connectTimeoutMS?: number },
  timeout: number,
  faults: string[],
): Promise<ManualPersistence> {
  const manager = new PersistenceManager(
    manualPersistenceOptions({ dataSource }),
    'cache',
    new CircuitBreaker({
      name: 'PostgreSQL',
      timeout,
      failureThreshold: Number.MAX_SAFE_INTEGER,
      resetAfter: 1000,
      maxResetAfter: 1000,
    }),
  );
  await manager.start([], true);
  faults.length = 0;
  return { manager, ns: manager.for('ns', (operation) => faults.push(operation)) };
}

/** An entry of `ns` tagged `t`, written at `persistence`. */
export const entry = (value: number, persistence: PersistenceLevel): CacheEntry => ({
  value,
  size: 1,
  expiresAt: Infinity,
  persistence,
  tags: ['t'],
});

/** Each kind of removal, of an entry of `user:1` tagged `t`. */
export const REMOVALS: Array<[string, Removal]> = [
  ['its key', { keys: ['user:1'] }],
  ['its tag', { tags: ['t'] }],
  ['a pattern', { glob: 'user:*' }],
  ['everything', { all: true }],
  ['a rule, as a key memory alone held', { tags: ['other'], held: ['user:1'] }],
];

/** Every change asked so far has reached persistence: hand-offs run as microtasks. */
export const handedOver = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A manager on a fresh database reached through a proxy, with the default statement deadline:
 * the database fails for real when a statement waiting for a row lock is cancelled, or when the
 * proxy holds a statement (`proxy.freeze()`) and then drops every connection (`cut`).
 */
export class ProxiedPersistence implements ManualPersistence {
  private cutOff = false;

  private constructor(
    readonly database: PostgresDatabase,
    readonly proxy: TcpProxy,
    readonly manager: PersistenceManager,
    readonly ns: NamespacePersistence,
    /** The operations of `ns` that failed, in order. */
    readonly faults: string[],
  ) {}

  static async start(): Promise<ProxiedPersistence> {
    const database = await PostgresDatabase.create();
    const { proxy, url } = await startDatabaseProxy(database);
    const faults: string[] = [];
    // The store is used again as soon as the proxy passes bytes again.
    const { manager, ns } = await startManager(
      { type: 'postgres', url, connectTimeoutMS: 500 },
      storeTimeout(),
      faults,
    );
    return new ProxiedPersistence(database, proxy, manager, ns, faults);
  }

  /** The rows of `ns` in the table, value by key. */
  async rows(): Promise<Record<string, unknown>> {
    const found = await this.database.query<{ key: string; value: unknown }>(
      "SELECT key, value FROM cache_storage WHERE namespace = 'ns'",
    );
    return Object.fromEntries(found.map((row) => [row.key, row.value]));
  }

  /** Fails the statements in flight and refuses connections, until `restore`. */
  cut(): Promise<void> {
    this.cutOff = true;
    return this.proxy.cut();
  }

  async restore(): Promise<void> {
    this.cutOff = false;
    this.proxy.thaw();
    await this.proxy.open();
  }

  /** Closes the manager, the proxy and the database. */
  async close(): Promise<void> {
    if (this.cutOff) await this.restore();
    this.proxy.thaw();
    await this.manager.close();
    await this.proxy.cut();
    await this.database.drop();
  }
}
