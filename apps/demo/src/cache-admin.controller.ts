import { Controller, Delete, Get, Header, HttpCode, Res } from '@nestjs/common';
import { CacheService, type CacheHealth, type CacheInfo, type NamespaceStats } from '@app/cache';
import { register } from 'prom-client';
import { DASHBOARD_PAGE } from './dashboard/dashboard.page';

/** Operator endpoints: what the cache holds and does. */
/** Prometheus text of the app's registry, the cache's metrics included. */
@Controller('metrics')
export class MetricsController {
  @Get()
  @HttpCode(200)
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}

@Controller('cache')
export class CacheAdminController {
  constructor(private readonly cache: CacheService) {}

  @Get('stats')
  stats(): Record<string, NamespaceStats> {
    return this.cache.stats();
  }

  /** The dashboard page: plots of every namespace over the last minutes. */
  @Get('dashboard')
  @Header('Content-Type', 'text/html; charset=utf-8')
  dashboard(): string {
    return DASHBOARD_PAGE;
  }

  @Get('health')
  async health(
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ): Promise<CacheHealth> {
    const health = await this.cache.health();
    if (health.status === 'down') response.status(503);
    return health;
  }

  @Get('info')
  info(): CacheInfo {
    return this.cache.info();
  }

  @Delete()
  async clearAll(): Promise<{ cleared: number }> {
    return { cleared: await this.cache.clearAll() };
  }
}
