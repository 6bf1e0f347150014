import { Logger } from '@nestjs/common';
import { createRedisBus } from '../bus/create-bus';
import type { BusHealth, InvalidationBus } from '../bus/invalidation-bus';
import type { ResolvedRedisOptions } from '../options/resolved-options';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import { looksLikeRedisClient } from '../options/redis-settings';
import { parseDuration } from '../options/duration';
import { CircuitBreaker } from '../stack/circuit-breaker';
import type { CircuitState } from '../stack/circuit-state';
import { createRedisClient } from './redis-client';
import { ioredis, logConnectionState } from './redis-connection';
import { addressOf, waitForReady } from './redis-readiness';
import { defineScripts, type ScriptedClient } from './redis-script-commands';
import { loggedMessage } from '../logging/log-text';
import { resolvesWithin } from '../time-limit';

/** Health of the Redis backend, as `CacheService.info()` reports it. */
export interface RedisHealth {
  readonly healthy: boolean;
  readonly status: string;
  readonly circuit: CircuitState;
  readonly bus?: BusHealth;
}

/**
 * The Redis connection of the module, its circuit breaker and its invalidation bus. Created and
 * closed by `CacheService`; a client the application passed in is used but never closed.
 */
export class RedisBackend {
  private static readonly logger = new Logger('CacheRedis');
  readonly client: ScriptedClient;
  readonly breaker: CircuitBreaker;
  readonly bus?: InvalidationBus;
  private readonly owned: boolean;
  private readonly stopListening: () => void;

  constructor(options: ResolvedRedisOptions, prefix: string, withBus: boolean) {
    const { connection } = options;
    // Fails here, at start, with the package to install when ioredis is missing.
    const io = ioredis();
    // The same check that accepted the option: an application's client is used as it is.
    const given = looksLikeRedisClient(connection) ? connection : undefined;
    this.owned = given === undefined;
    this.client = defineScripts(given ?? createRedisClient(options));
    this.breaker = new CircuitBreaker({
      name: 'Redis',
      timeout: options.commandTimeout,
      failureThreshold: options.failureThreshold,
      resetAfter: options.retryAfter,
      maxResetAfter: parseDuration(CACHE_DEFAULTS.circuitMaxRetryAfter, 'circuitMaxRetryAfter'),
      onStateChange: (state) => RedisBackend.logger.warn(`circuit ${state}`),
      isFault: (error) => !(error instanceof io.ReplyError),
    });
    const stopLogging = logConnectionState(this.client, RedisBackend.logger, 'Redis');
    // A reconnected client is worth a call at once, rather than at the end of the pause.
    const onReady = (): void => this.breaker.reset();
    this.client.on('ready', onReady);
    this.stopListening = () => {
      stopLogging();
      this.client.off('ready', onReady);
    };
    if (withBus) {
      const subscriber = this.client.duplicate();
      // Listening from creation: an error before the bus starts (an unknown host) is reported
      // once by start(), never as ioredis' "Unhandled error event".
      subscriber.on('error', () => undefined);
      this.bus = createRedisBus(
        this.client,
        subscriber,
        prefix,
        Math.max(options.commandTimeout, 500),
      );
    }
  }

  /** Waits up to `ms` for the connection (and bus) to be ready, less if it is refused; never throws. */
  async start(ms: number): Promise<void> {
    const failure = await waitForReady(this.client, ms);
    if (failure !== undefined)
      RedisBackend.logger.warn(
        `Redis is not reachable yet at ${addressOf(this.client)} (${loggedMessage(failure)}); ` +
          'the cache runs degraded until it is',
      );
    // The subscription completes on its own once Redis is reachable; start-up does not wait for it.
    if (this.bus)
      await resolvesWithin(
        this.bus.start().catch(() => undefined),
        ms,
      );
  }

  /** Round-trip time of a PING in ms, or the reason it failed within `timeout` ms. */
  async ping(timeout: number): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
    const started = performance.now();
    try {
      if (!(await resolvesWithin(this.client.ping(), timeout)))
        return { ok: false, error: `no answer within ${timeout}ms` };
      return { ok: true, ms: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  health(): RedisHealth {
    return {
      healthy: this.client.status === 'ready' && this.breaker.current === 'closed',
      status: this.client.status,
      circuit: this.breaker.current,
      ...(this.bus && { bus: this.bus.health() }),
    };
  }

  /**
   * Closes within one `commandTimeout` even while Redis is frozen: the bus's last messages and
   * QUIT's reply are awaited only that long, then the connection is dropped.
   */
  async close(): Promise<void> {
    const deadline = Date.now() + this.breaker.timeout;
    await this.bus?.close(this.breaker.timeout);
    this.breaker.close();
    this.stopListening();
    if (!this.owned) return;
    // QUIT lets pending replies arrive; a client that never connected (or is retrying) has
    // nothing to wait for, and only `disconnect` stops its reconnect timer.
    if (this.client.status === 'ready') {
      const quit = this.client.quit().catch(() => undefined);
      await resolvesWithin(quit, Math.max(0, deadline - Date.now())).catch(() => undefined);
    }
    this.client.disconnect();
  }
}
