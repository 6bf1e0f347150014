import { Controller, Get } from '@nestjs/common';

/** `GET /`: what the demo is, and where to look. */
@Controller()
export class HomeController {
  @Get()
  home(): { name: string; about: string; signIn: string; routes: string[] } {
    return {
      name: 'nest-tiered-cache demo: a small chat service',
      about:
        'Users, chats and messages in SQL; sessions, chat state, rate limits, search results and more in named caches over memory, Redis and the SQL store.',
      signIn:
        'POST /auth/login {"email":"ada@example.com"} returns a token; send it as Authorization: Bearer <token>',
      routes: [
        'POST /auth/signup {email,name} -> {code}; POST /auth/confirm {code}; POST /auth/login {email}',
        'GET /auth/session (time left; renewed past half); POST /auth/logout; DELETE /auth/sessions (every session of the user, via an index)',
        'GET /me (cached per user); PATCH /me {name}; GET|PUT /me/ui (memory-only UI state); GET /me/pending',
        'GET /users/:id (cache-aside with @Cacheable, warmed at start, stale within grace while the database is slow)',
        'POST /chats {title}; GET /chats/:id; PATCH /chats/:id/settings; POST /chats/:id/join|leave',
        'GET /chats/:id/members (profiles in one batch); GET /chats/:id/events (server-sent events)',
        'POST|GET /chats/:id/topics {title}; POST /chats/:id/topics/:topic/close',
        'POST|GET /chats/:id/typing; POST /chats/:id/delete-request -> {code}; DELETE /chats/:id?code=',
        'GET|POST /chats/:id/messages (rate limited: 429); GET /chats/:id/search?q=&from=&limit=',
        'PATCH /messages/:id {text}',
        'POST|GET /jobs/digest (runs once per window across instances)',
        'GET /cache/stats, GET /cache/info, GET /cache/health, DELETE /cache',
        'GET /metrics (Prometheus), GET /cache/dashboard (plots, history, backends)',
      ],
    };
  }
}
