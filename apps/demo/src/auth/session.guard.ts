import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import type { AuthenticatedRequest, Session } from './session';

/** Lets through requests carrying `Authorization: Bearer <token>` of a live session. */
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
    request.userId = session.userId;
    request.sessionToken = token;
    return true;
  }
}
