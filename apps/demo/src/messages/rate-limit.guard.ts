import {
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CacheService, type NamespaceCache } from 'nest-tiered-cache';
import type { AuthenticatedRequest } from '../auth/session';
import { RATELIMIT_NAME } from '../namespaces';

const MINUTE = 60_000;

/**
 * At most `RATE_LIMIT_PER_MINUTE` (20) requests per user per clock minute, counted with an atomic
 * `increment` in Redis, so the limit holds across every instance; 429 past it. Runs after
 * `SessionGuard`.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');
  private readonly limit: number;
  private readonly counters: NamespaceCache<number>;

  constructor(cache: CacheService, config: ConfigService) {
    this.limit = Number(config.get<string>('RATE_LIMIT_PER_MINUTE') || 20);
    this.counters = cache.namespace<number>(RATELIMIT_NAME);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const { userId } = http.getRequest<AuthenticatedRequest>();
    const minute = Math.floor(Date.now() / MINUTE);
    let count: number;
    try {
      count = await this.counters.increment(`${userId}:${minute}`);
    } catch (error) {
      // Redis is down: the limit is not worth an outage, so requests pass until it is back.
      this.logger.warn(`rate limit not applied: ${(error as Error).message}`);
      return true;
    }
    if (count <= this.limit) return true;
    const retryAfter = Math.ceil(((minute + 1) * MINUTE - Date.now()) / 1000);
    http
      .getResponse<{ setHeader(name: string, value: string): void }>()
      .setHeader('Retry-After', String(retryAfter));
    throw new HttpException(
      `rate limit: ${this.limit} messages per minute; retry in ${retryAfter}s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
