import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import ms from 'ms';
import { SESSION_TTL } from '../namespaces';
import type { AuthenticatedRequest, Session } from './session';

const SESSION_TTL_MS = ms(SESSION_TTL);

/**
 * Lets through requests carrying `Authorization: Bearer <token>` of a live session, and renews
 * a session in use once less than half of its time is left (`getTtl`, then `expire`): an active
 * user stays signed in, an idle session ends `SESSION_TTL` after its last renewal.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(@InjectCache('session') private readonly sessions: NamespaceCache<Session>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
    if (!token)
      throw new UnauthorizedException('send Authorization: Bearer <token> from POST /auth/login');
    const session = await this.sessions.get(token);
    if (!session) throw new UnauthorizedException('the session expired or was logged out');
    const left = await this.sessions.getTtl(token);
    if (left !== undefined && left < SESSION_TTL_MS / 2)
      await this.sessions.expire(token, SESSION_TTL);
    request.userId = session.userId;
    request.sessionToken = token;
    return true;
  }
}
