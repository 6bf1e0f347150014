import { Controller, Delete, Get, Header, Query, Res, UseGuards } from '@nestjs/common';
import {
  CacheService,
  type CacheHealth,
  type CacheInfo,
  type NamespaceStats,
} from 'nest-tiered-cache';
import { AdminGuard } from './admin.guard';
import { DashboardHistory, type DashboardSample } from './dashboard/dashboard-history.service';
import { DASHBOARD_PAGE } from './dashboard/dashboard.page';

/**
 * Operator endpoints: what the cache holds and does. Reads are open, as metrics endpoints
 * usually are inside a cluster; clearing everything takes the operator token (`AdminGuard`).
 */
@Controller('cache')
export class CacheAdminController {
  constructor(
    private readonly cache: CacheService,
    private readonly history: DashboardHistory,
  ) {}

  @Get('stats')
  stats(): Record<string, NamespaceStats> {
    return this.cache.stats();
  }

  /** The dashboard page: plots of every namespace over the last minutes, values, backends. */
  @Get('dashboard')
  @Header('Content-Type', 'text/html; charset=utf-8')
  dashboard(): string {
    return DASHBOARD_PAGE;
  }

  /**
   * What the dashboard draws: the samples after `since` (all five minutes on first open), each
   * namespace's current stats, and the backends as `health()` finds them now.
   */
  @Get('dashboard/data')
  async dashboardData(@Query('since') since?: string): Promise<{
    samples: DashboardSample[];
    current: Record<string, NamespaceStats>;
    backends: CacheHealth;
    info: CacheInfo['backends'];
  }> {
    return {
      samples: this.history.since(Number(since) || 0),
      current: this.cache.stats(),
      backends: await this.cache.health(),
      info: this.cache.info().backends,
    };
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
  @UseGuards(AdminGuard)
  async clearAll(): Promise<{ cleared: number }> {
    return { cleared: await this.cache.clearAll() };
  }
}
