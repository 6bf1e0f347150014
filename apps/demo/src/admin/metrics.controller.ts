import { Controller, Get, Header, HttpCode } from '@nestjs/common';
import { register } from 'prom-client';

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
