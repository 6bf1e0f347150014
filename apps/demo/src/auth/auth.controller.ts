import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Post,
  UseGuards,
} from '@nestjs/common';
import { requireText } from '../validation';
import type { User } from '../users/user';
import { AuthService, type SessionInfo } from './auth.service';
import { CurrentUser, SessionToken } from './current-user.decorator';
import { SessionGuard } from './session.guard';

/** Signup with a confirmation code, login, logout. */
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Starts a signup; the demo answers with the code a real service would mail. */
  @Post('signup')
  signup(@Body() body: { email?: unknown; name?: unknown }): Promise<{ code: string }> {
    return this.auth.signup(requireEmail(body.email), requireText(body.name, 'name', 100));
  }

  @Post('confirm')
  confirm(
    @Body() body: { email?: unknown; code?: unknown },
  ): Promise<{ user: User; token: string }> {
    return this.auth.confirmSignup(requireEmail(body.email), requireText(body.code, 'code', 16));
  }

  @Post('login')
  @HttpCode(200)
  login(@Body() body: { email?: unknown }): Promise<{ user: User; token: string }> {
    return this.auth.login(requireEmail(body.email));
  }

  /** The current session and how long it has left (`getTtl`); each use renews it past half. */
  @Get('session')
  @UseGuards(SessionGuard)
  session(@SessionToken() token: string): Promise<SessionInfo> {
    return this.auth.session(token);
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(SessionGuard)
  logout(@SessionToken() token: string): Promise<void> {
    return this.auth.logout(token);
  }

  @Delete('sessions')
  @UseGuards(SessionGuard)
  async logoutEverywhere(@CurrentUser() userId: number): Promise<{ ended: number }> {
    return { ended: await this.auth.logoutEverywhere(userId) };
  }
}

function requireEmail(value: unknown): string {
  const email = requireText(value, 'email', 254).toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email))
    throw new BadRequestException(`email: ${JSON.stringify(email)} is not an email address`);
  return email;
}
