import type { DataSource, DataSourceOptions } from 'typeorm';
import type { MetricsOptions } from './metrics-options';
import type { CacheRedisOptions } from '../redis/redis-options';
import type { Duration } from './duration';
import type { PersistenceLevel } from './persistence-level';

/** A storage tier a namespace can live in, nearest first. */
export type TierKind = 'memory' | 'redis' | 'postgres';

/** Bounds of the in-process memory tier; each namespace gets its own LRU with these bounds. */
export interface MemoryOptions {
  /**
   * Most entries one namespace keeps in memory before the least recently used is evicted.
   * A namespace's own `maxEntries` overrides it.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Most bytes (approximate JSON size of keys and values) one namespace keeps in memory.
   * A namespace's own `maxBytes` overrides it.
   * @default undefined (bounded by entries only)
   */
  maxBytes?: number;
}

/** Where and when persisted entries are written (`cache_storage`). */
export interface PersistenceOptions {
  /**
   * A TypeORM `DataSource` (initialized or not; the one `@nestjs/typeorm` provides works) or
   * `DataSourceOptions`. The module closes only a connection it opened.
   * @default the embedded SQLite store, in `.cache-storage.sqlite` under the working directory
   */
  dataSource?: DataSource | DataSourceOptions;
  /**
   * How often PERIODIC entries are written: at most about 24.8 days (Node's longest timer), or
   * `Infinity` to write them only at shutdown and on `flush()`.
   * @default '5s'
   */
  flushInterval?: Duration;
  /**
   * Rows per multi-row upsert.
   * @default 1000
   */
  batchSize?: number;
  /**
   * Load persisted entries into their namespaces at start.
   * @default true
   */
  loadOnStartup?: boolean;
  /**
   * Create `cache_storage` at start when it is missing.
   * @default true
   */
  migrate?: boolean;
  /**
   * How often expired rows are deleted (in batches of `batchSize`): at most about 24.8 days, or
   * `Infinity` for never (expired rows are still never read back).
   * @default '1m'
   */
  cleanupInterval?: Duration;
}

/** One named cache: a key prefix plus its own settings. */
export interface NamespaceOptions {
  /** Letters, digits, `_`, `-` and `.`; starts with a letter; at most 64 characters. */
  name: string;
  /**
   * Time to live of an entry unless `set` says otherwise.
   * @default the module's `defaultTtl`
   */
  ttl?: Duration;
  /**
   * Where entries live, nearest first.
   * @default ['memory', 'redis'] with Redis configured, else ['memory']
   */
  tiers?: TierKind[];
  /**
   * When entries are written to the durable store; `set` may override it per entry.
   * @default PersistenceLevel.MEMORY_ONLY
   */
  persistence?: PersistenceLevel;
  /**
   * Keep entries this long past their TTL for `getOrSet` to fall back on (see its `grace`).
   * @default none
   */
  grace?: Duration;
  /**
   * Most entries this namespace keeps in memory.
   * @default the module's `memory.maxEntries`
   */
  maxEntries?: number;
  /**
   * Most bytes this namespace keeps in memory.
   * @default the module's `memory.maxBytes`
   */
  maxBytes?: number;
}

/** Options of `CacheModule.forRoot` / `forRootAsync`. */
export interface CacheModuleOptions {
  /**
   * Time to live of entries in namespaces that set no `ttl`. `Infinity` disables expiry.
   * @default '1h'
   */
  defaultTtl?: Duration;
  /**
   * Prefix of every key this application writes to shared stores, so several applications can
   * share one Redis or database.
   * @default 'cache'
   */
  prefix?: string;
  /**
   * Bounds of the memory tier, or `false` to run without one.
   * @default { maxEntries: 10000 }
   */
  memory?: MemoryOptions | false;
  /**
   * Redis as the shared tier: a URL, ioredis options (standalone or Sentinel), `{ cluster }`, or
   * an ioredis instance the application owns. With it, namespaces default to
   * `tiers: ['memory', 'redis']`.
   * @default undefined (no Redis)
   */
  redis?: CacheRedisOptions;
  /**
   * Prometheus metrics through prom-client (installed by the app): counters and gauges per
   * namespace, latency histograms per namespace and tier. `true` registers on prom-client's
   * global registry.
   * @default false
   */
  metrics?: boolean | MetricsOptions;
  /**
   * The durable store of entries whose persistence level is not MEMORY_ONLY.
   * @default the embedded SQLite store, opened when a namespace first needs it
   */
  persistence?: PersistenceOptions;
  /**
   * Keep the memory tiers of several instances coherent: over Redis pub/sub when `redis` is
   * set, otherwise over PostgreSQL LISTEN/NOTIFY when `persistence.dataSource` is PostgreSQL.
   * With neither there is nothing to carry it and it stays off.
   * @default true when `redis` is set or `persistence.dataSource` is PostgreSQL
   */
  bus?: boolean;
  /**
   * Throw when a backend fails instead of degrading (miss on read, memory-only write).
   * @default false
   */
  strict?: boolean;
  /**
   * Largest value (approximate JSON size, in bytes) a `set` accepts; larger ones fail with
   * E_CACHE_VALUE_TOO_LARGE before they are copied.
   * @default 16 MiB
   */
  maxValueBytes?: number;
  /**
   * Namespace of `CacheInterceptor` routes that name none; registered with the module's defaults
   * on first use unless declared.
   * @default 'http'
   */
  defaultNamespace?: string;
  /**
   * Namespaces to register at the root; feature modules may add more with `forFeature`.
   * @default []
   */
  namespaces?: (NamespaceOptions | string)[];
}
