import {
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { timingSafeEqual } from 'node:crypto';

/**
 * Lets through requests whose `X-Admin-Token` equals `ADMIN_TOKEN`; with no `ADMIN_TOKEN`
 * configured, nobody: destructive operator routes are off by default.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly token?: Buffer;

  constructor(config: ConfigService) {
    const token = config.get<string>('ADMIN_TOKEN');
    this.token = token ? Buffer.from(token) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>()
      .headers['x-admin-token'];
    const given = typeof header === 'string' ? Buffer.from(header) : undefined;
    if (!this.token) throw new ForbiddenException('set ADMIN_TOKEN to enable operator writes');
    if (!given || given.length !== this.token.length || !timingSafeEqual(given, this.token))
      throw new ForbiddenException('send the operator token as X-Admin-Token');
    return true;
  }
}
