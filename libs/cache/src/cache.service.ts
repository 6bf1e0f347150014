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
import { PersistenceManager, type PersistenceHealth } from './persistence/persistence-manager';
import { CacheMetrics } from './metrics/cache-metrics';
import { createPostgresBus, postgresSourceOf } from './bus/create-bus';
import type { BusHealth, InvalidationBus } from './bus/invalidation-bus';
import { NamespaceChannel } from './bus/namespace-channel';
import { RESOLVED_CACHE_OPTIONS } from './cache.module-definition';
import { NamespaceCheck } from './decorators/namespace-check';
import { NamespaceConflictError, UnknownNamespaceError } from './errors';
import { NamespaceCache } from './namespace/namespace-cache';
import { internalsOf } from './namespace/namespace-internals';
import type { TierKind } from './options/cache-options.interface';
import type {
  NamespaceDeclaration,
  NamespaceSettings,
  ResolvedCacheOptions,
} from './options/resolved-options';
import { resolveNamespaceSettings } from './options/namespace-options';
import type { NamespaceStats } from './stats';
import { RedisBackend, type RedisHealth } from './redis/redis-backend';
import { PostgresTier } from './persistence/postgres.tier';
import type { CircuitBreaker } from './stack/circuit-breaker';
import { RedisTier } from './redis/redis.tier';
import { MemoryTier } from './tiers/memory.tier';

/** What `CacheService.info()` reports: configuration and the health of each backend. */
export interface CacheInfo {
  readonly prefix: string;
  readonly namespaces: ReadonlyArray<{
    readonly name: string;
    readonly ttl: number;
    readonly tiers: readonly TierKind[];
    readonly persistence: string;
  }>;
  readonly backends: {
    readonly memory?: { readonly healthy: boolean };
    readonly redis?: RedisHealth;
    /** The invalidation bus, over Redis or PostgreSQL. */
    readonly bus?: BusHealth;
    /** The durable store: last call, dirty entries, circuit and last flush. */
    readonly persistence: PersistenceHealth;
  };
}

/** How long start-up waits for Redis before going on degraded. */
const REDIS_START_WAIT = 5_000;

/** What `CacheService.health()` finds. */
export interface CacheHealth {
  readonly status: 'up' | 'down';
  readonly memory?: { readonly healthy: boolean };
  readonly redis?: RedisHealth & {
    readonly ping:
      { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly error: string };
  };
  readonly bus?: BusHealth;
  /** The durable store, read now (`healthy`), with its dirty entries, circuit and last flush. */
  readonly persistence: PersistenceHealth;
}

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
  private readonly redis: RedisBackend | undefined;
  /** The bus over PostgreSQL LISTEN/NOTIFY, when there is no Redis to carry it. */
  private readonly tableBus: InvalidationBus | undefined;
  private readonly persistence: PersistenceManager;
  /** The PostgreSQL tier's circuit, shared by every namespace kept in the table. */
  private readonly tableBreaker: CircuitBreaker;
  private readonly metrics: CacheMetrics | undefined;

  constructor(
    @Inject(RESOLVED_CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    @Optional() private readonly namespaceCheck?: NamespaceCheck,
  ) {
    this.redis = options.redis && new RedisBackend(options.redis, options.prefix, options.bus);
    const busSource =
      options.bus && !options.redis && postgresSourceOf(options.persistence.dataSource);
    this.tableBus = busSource ? createPostgresBus(busSource, options.prefix) : undefined;
    this.persistence = new PersistenceManager(options.persistence, options.prefix);
    this.tableBreaker = this.persistence.breaker;
    this.metrics = options.metrics
      ? new CacheMetrics(options.metrics, () => this.stats())
      : undefined;
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
   * Clears every namespace; returns how many live values they held (see `NamespaceCache.clear`). The namespaces are cleared side
   * by side, so a frozen backend holds the call one `commandTimeout`, not one per namespace; each
   * takes its place in the order of changes as it starts, in registration order. In strict mode
   * the first failure is thrown once every clear has settled.
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
    return {
      prefix: this.options.prefix,
      namespaces: [...this.registry.values()].map(({ cache: { settings } }) => ({
        name: settings.name,
        ttl: settings.ttl,
        tiers: settings.tiers,
        persistence: settings.persistence,
      })),
      backends: {
        ...(this.options.memory && { memory: { healthy: true } }),
        ...(this.redis && { redis: this.redis.health() }),
        ...(this.bus && { bus: this.bus.health() }),
        persistence: this.persistence.health(),
      },
    };
  }

  /**
   * Checks every backend now: Redis answers a PING within `timeout` ms, the bus is connected,
   * the durable store answers a read within `timeout` ms. `status` is 'down' when any of them is
   * not well.
   */
  async health(timeout: number = CACHE_DEFAULTS.healthTimeout): Promise<CacheHealth> {
    const [ping, persistence] = await Promise.all([
      this.redis?.ping(timeout),
      this.persistence.check(timeout),
    ]);
    const redis = this.redis && ping && { ...this.redis.health(), ping };
    const redisDown = redis !== undefined && (!redis.ping.ok || redis.bus?.connected === false);
    const bus = this.bus?.health();
    return {
      status: redisDown || bus?.connected === false || !persistence.healthy ? 'down' : 'up',
      ...(this.options.memory && { memory: { healthy: true } }),
      ...(redis && { redis }),
      ...(bus && { bus }),
      persistence,
    };
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
      const difference = differenceOf(existing.cache.settings, settings);
      if (difference) {
        throw new NamespaceConflictError(settings.name, existing.source, source, difference);
      }
      return existing.cache;
    }
    const cache = this.createNamespace(settings);
    this.registry.set(settings.name, { cache, source });
    return cache;
  }

  /** Connects to Redis (bounded wait; a dead Redis leaves the cache degraded, not broken). */
  async onModuleInit(): Promise<void> {
    // Before any connection opens: a start that fails on an undeclared namespace leaves none.
    this.namespaceCheck?.verify(this);
    await this.redis?.start(REDIS_START_WAIT);
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
    await this.persistence.start(loadable, this.options.persistence.configured || needed);
  }

  /** Writes every entry waiting for a flush (PERIODIC and ON_SHUTDOWN) now; returns how many. */
  flush(): Promise<number> {
    return this.persistence.flush();
  }

  /** PERIODIC's last flush and ON_SHUTDOWN's flush, before any connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.persistence.drain();
  }

  /** After the HTTP server stopped: writes what came in meanwhile, then closes connections. */
  async onApplicationShutdown(): Promise<void> {
    await this.persistence.close();
    for (const { cache } of this.registry.values()) await internalsOf(cache).close();
    this.registry.clear();
    this.tableBreaker.close();
    this.metrics?.close();
    await this.tableBus?.close();
    await this.redis?.close();
  }

  /** The invalidation bus, whichever server carries it. */
  private get bus(): InvalidationBus | undefined {
    return this.redis?.bus ?? this.tableBus;
  }

  private createNamespace(settings: NamespaceSettings): NamespaceCache<unknown> {
    const near = settings.tiers.includes('memory')
      ? new MemoryTier({
          maxEntries: settings.maxEntries,
          maxBytes: settings.maxBytes,
          onRemoved: (key, reason) => internalsOf(cache).tierRemoved(key, reason),
        })
      : undefined;
    const redis = settings.tiers.includes('redis') ? this.redis : undefined;
    const inTable = settings.tiers.includes('postgres');
    const far = inTable
      ? new PostgresTier(
          () => this.persistence.openStore(),
          settings.name,
          (key, error) => internalsOf(cache).fault('decode', error, key),
        )
      : redis &&
        new RedisTier(redis.client, this.options.prefix, settings.name, (key, error) =>
          internalsOf(cache).fault('decode', error, key),
        );
    // Memory is kept coherent over a shared tier: Redis, or the table (over either bus).
    const bus = inTable ? this.bus : redis?.bus;
    const channel =
      near &&
      bus &&
      new NamespaceChannel(bus, settings.name, near, inTable ? this.tableBreaker : redis?.breaker);
    const cache: NamespaceCache<unknown> = new NamespaceCache(settings, {
      near,
      far,
      breaker: inTable ? this.tableBreaker : redis?.breaker,
      channel,
      strict: this.options.strict,
      metrics: this.metrics?.for(settings.name),
      // A namespace kept in the table itself is durable already.
      persistence: inTable
        ? undefined
        : this.persistence.for(settings.name, (operation, error, key) =>
            internalsOf(cache).fault(operation, error, key),
          ),
    });
    return cache;
  }
}

function differenceOf(a: NamespaceSettings, b: NamespaceSettings): string | undefined {
  for (const field of ['ttl', 'persistence', 'maxEntries', 'maxBytes', 'grace'] as const) {
    if (a[field] !== b[field]) return `${field}: ${String(a[field])} vs ${String(b[field])}`;
  }
  if (a.tiers.join() !== b.tiers.join())
    return `tiers: [${a.tiers.join(', ')}] vs [${b.tiers.join(', ')}]`;
  return undefined;
}
