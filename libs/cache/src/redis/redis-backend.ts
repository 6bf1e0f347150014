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
      await within(
        ms,
        this.bus.start().catch(() => undefined),
      );
  }

  /** Round-trip time of a PING in ms, or the reason it failed within `timeout` ms. */
  async ping(timeout: number): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
    const started = performance.now();
    try {
      if (!(await within(timeout, this.client.ping())))
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
      await within(Math.max(0, deadline - Date.now()), quit).catch(() => undefined);
    }
    this.client.disconnect();
  }
}

/**
 * Waits for `work` at most `ms`: true when it resolved in time, false when time ran out (it goes
 * on unwatched); its rejection propagates. The timer goes as soon as either ends.
 */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  // Node fires a timer of Infinity after 1 ms (a `commandTimeout` of Infinity waits for good).
  if (ms === Infinity) return work.then(() => true);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
