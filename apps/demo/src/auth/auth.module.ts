import { Module } from '@nestjs/common';
import { CacheModule } from 'nest-tiered-cache';
import { ConfirmationsModule } from '../confirmations/confirmations.module';
import { SESSION, SIGNUP } from '../namespaces';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { SessionGuard } from './session.guard';

/** Modules that import this one can guard routes with `SessionGuard`. */
const sessions = CacheModule.forFeature([SESSION]);

/** Signup, login and sessions; exports `SessionGuard` and the `session` namespace. */
@Module({
  imports: [sessions, CacheModule.forFeature([SIGNUP]), UsersModule, ConfirmationsModule],
  controllers: [AuthController],
  providers: [AuthService, SessionGuard],
  exports: [sessions, SessionGuard],
})
export class AuthModule {}
