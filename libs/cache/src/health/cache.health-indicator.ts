import { Injectable } from '@nestjs/common';
import type { CacheHealth } from '../cache-report';
import { CacheService } from '../cache.service';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';

/** A health indicator result in the shape `@nestjs/terminus` reads: `{ [key]: { status, ... } }`. */
export type CacheHealthResult = Record<string, CacheHealth>;

/**
 * A health indicator for `@nestjs/terminus` (which it does not import, so the module works
 * without it): memory, Redis (PING within a timeout), the bus and the durable store.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.cacheHealth.isHealthy('cache')]); }
 * ```
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(private readonly cache: CacheService) {}

  /** `{ [key]: { status: 'up' | 'down', memory, redis, persistence } }`; never throws. */
  async isHealthy(
    key = 'cache',
    timeout: number = CACHE_DEFAULTS.healthTimeout,
  ): Promise<CacheHealthResult> {
    return { [key]: await this.cache.health(timeout) };
  }
}
