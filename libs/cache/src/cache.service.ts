import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { CACHE_DEFAULTS } from './options/cache-options.defaults';
import { PersistenceLevel } from './options/persistence-level';
import { PersistenceManager } from './persistence/persistence-manager';
import { CacheMetrics } from './metrics/cache-metrics';
import { createPostgresBus, postgresSourceOf } from './bus/create-bus';
import type { InvalidationBus } from './bus/invalidation-bus';
import { RESOLVED_CACHE_OPTIONS } from './cache.module-definition';
import { NamespaceCheck } from './decorators/namespace-check';
import { NamespaceConflictError, UnknownNamespaceError } from './errors';
import type { NamespaceCache } from './namespace/namespace-cache';
import { createNamespace, type SharedBackends } from './namespace/namespace-factory';
import { internalsOf } from './namespace/namespace-internals';
import type { NamespaceDeclaration, ResolvedCacheOptions } from './options/resolved-options';
import { resolveNamespaceSettings, settingsDifference } from './options/namespace-options';
import type { NamespaceStats } from './stats';
import { RedisBackend } from './redis/redis-backend';
import { checkHealth, describeCache, type CacheHealth, type CacheInfo } from './cache-report';

/** How long start-up waits for Redis before going on degraded. */
const REDIS_START_WAIT = 5_000;

interface Registration {
  readonly cache: NamespaceCache<unknown>;
  readonly source: string;
}

/** The registry of namespaces, and operations over all of them. */
@Injectable()
export class CacheService
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly registry = new Map<string, Registration>();
  /** The bus over PostgreSQL LISTEN/NOTIFY, when there is no Redis to carry it. */
  private readonly tableBus: InvalidationBus | undefined;
  /** What every namespace shares, handed to each as it is registered. */
  private readonly backends: SharedBackends;

  constructor(
    @Inject(RESOLVED_CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    @Optional() private readonly namespaceCheck?: NamespaceCheck,
  ) {
    // First: a registry that refuses the metrics fails the start before any connection opens.
    const metrics = options.metrics
      ? new CacheMetrics(options.metrics, () => this.stats())
      : undefined;
    const redis = options.redis && new RedisBackend(options.redis, options.prefix, options.bus);
    const busSource =
      options.bus && !options.redis && postgresSourceOf(options.persistence.dataSource);
    this.tableBus = busSource ? createPostgresBus(busSource, options.prefix) : undefined;
    const persistence = new PersistenceManager(options.persistence, options.prefix);
    this.backends = {
      prefix: options.prefix,
      strict: options.strict,
      redis,
      bus: redis?.bus ?? this.tableBus,
      persistence,
      tableBreaker: persistence.breaker,
      metrics,
    };
    options.namespaces.forEach((declaration, i) =>
      this.register(declaration, `CacheModule.forRoot namespaces[${i}]`),
    );
  }

  /** The namespace called `name`; throws `UnknownNamespaceError` listing the known ones. */
  namespace<V = unknown>(name: string): NamespaceCache<V> {
    const registration = this.registry.get(name);
    if (registration) return registration.cache as NamespaceCache<V>;
    if (name === this.options.defaultNamespace) {
      return this.register({ name }, 'defaultNamespace') as NamespaceCache<V>;
    }
    throw new UnknownNamespaceError(name, [...this.registry.keys()]);
  }

  /** Namespace of routes whose `@CacheOptions` name none. */
  get defaultNamespace(): string {
    return this.options.defaultNamespace;
  }

  /** Names of every registered namespace. */
  names(): string[] {
    return [...this.registry.keys()];
  }

  /** Stats of every namespace, by name. */
  stats(): Record<string, NamespaceStats> {
    const all: Record<string, NamespaceStats> = {};
    for (const [name, { cache }] of this.registry) all[name] = cache.stats();
    return all;
  }

  /**
   * Clears every namespace; returns how many live values they held (see `NamespaceCache.clear`).
   * The namespaces are cleared side by side, so a frozen backend holds the call one
   * `commandTimeout`, not one per namespace; each takes its place in the order of changes as it
   * starts, in registration order. In strict mode the first failure is thrown once every clear
   * has settled.
   */
  async clearAll(): Promise<number> {
    const clears = [...this.registry.values()].map(({ cache }) => cache.clear());
    let total = 0;
    for (const outcome of await Promise.allSettled(clears)) {
      if (outcome.status === 'rejected') throw outcome.reason;
      total += outcome.value;
    }
    return total;
  }

  /** Configuration and backend health, as JSON-ready data. */
  info(): CacheInfo {
    const namespaces = [...this.registry.values()].map(({ cache }) => cache.settings);
    return describeCache(this.backends, this.options.memory !== undefined, namespaces);
  }

  /**
   * Checks every backend now: Redis answers a PING within `timeout` ms, the bus is connected,
   * the durable store answers a read within `timeout` ms. `status` is 'down' when any of them is
   * not well.
   */
  health(timeout: number = CACHE_DEFAULTS.healthTimeout): Promise<CacheHealth> {
    return checkHealth(this.backends, this.options.memory !== undefined, timeout);
  }

  /**
   * Registers a namespace, or returns the existing one when `name` is already registered with
   * the same settings. `source` says where the declaration is, for conflict messages.
   * @internal used by `CacheModule.forFeature` providers.
   */
  register(declaration: NamespaceDeclaration, source: string): NamespaceCache<unknown> {
    const settings = resolveNamespaceSettings(declaration, this.options, source);
    const existing = this.registry.get(settings.name);
    if (existing) {
      const difference = settingsDifference(existing.cache.settings, settings);
      if (difference) {
        throw new NamespaceConflictError(settings.name, existing.source, source, difference);
      }
      return existing.cache;
    }
    const cache = createNamespace(settings, this.backends);
    this.registry.set(settings.name, { cache, source });
    return cache;
  }

  /** Connects to Redis (bounded wait; a dead Redis leaves the cache degraded, not broken). */
  async onModuleInit(): Promise<void> {
    // Before any connection opens: a start that fails on an undeclared namespace leaves none.
    this.namespaceCheck?.verify(this);
    await this.backends.redis?.start(REDIS_START_WAIT);
    // Resolves once it listens or its first attempt failed; it keeps trying on its own.
    await this.tableBus?.start();
    const caches = [...this.registry.values()].map(({ cache }) => cache);
    // Namespaces kept in the table itself need no warm start; the others restore into their stack.
    const loadable = caches
      .filter(({ settings }) => !settings.tiers.includes('postgres'))
      .map((cache) => internalsOf(cache).stack);
    // The store opens at start when configured or needed; otherwise on the first persisted write.
    const needed = caches.some(
      ({ settings }) =>
        settings.persistence !== PersistenceLevel.MEMORY_ONLY ||
        settings.tiers.includes('postgres'),
    );
    await this.backends.persistence.start(loadable, this.options.persistence.configured || needed);
  }

  /** Writes every entry waiting for a flush (PERIODIC and ON_SHUTDOWN) now; returns how many. */
  flush(): Promise<number> {
    return this.backends.persistence.flush();
  }

  /** PERIODIC's last flush and ON_SHUTDOWN's flush, before any connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.backends.persistence.drain();
  }

  /** After the HTTP server stopped: writes what came in meanwhile, then closes connections. */
  async onApplicationShutdown(): Promise<void> {
    const { persistence, tableBreaker, metrics, redis } = this.backends;
    await persistence.close();
    for (const { cache } of this.registry.values()) await internalsOf(cache).close();
    this.registry.clear();
    tableBreaker.close();
    metrics?.close();
    await this.tableBus?.close();
    await redis?.close();
  }
}
