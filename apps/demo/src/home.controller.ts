import { Controller, Get } from '@nestjs/common';

/** `GET /`: what the demo is, and where to look. */
@Controller()
export class HomeController {
  @Get()
  home(): { name: string; about: string; routes: string[] } {
    return {
      name: 'nest-tiered-cache demo',
      about:
        'Named caches over memory, Redis and PostgreSQL, with persistence levels and route caching.',
      routes: [
        'GET /profiles/:id (read-through cache, visit counter)',
        'PATCH /profiles/:id (update in place)',
        'DELETE /profiles (invalidate by tag)',
        'PUT /notes/:id, GET /notes/:id, DELETE /notes/:id (persisted on change)',
        'GET /cache/stats, GET /cache/info, GET /cache/health, DELETE /cache',
        'GET /metrics (Prometheus), GET /cache/dashboard (plots)',
      ],
    };
  }
}
