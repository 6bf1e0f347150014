import { Module } from '@nestjs/common';
import { CacheModule } from 'nest-tiered-cache';
import { AuthModule } from '../auth/auth.module';
import { ChatsModule } from '../chats/chats.module';
import { ConfirmationsModule } from '../confirmations/confirmations.module';
import { USERS } from '../namespaces';
import { UsersModule } from '../users/users.module';
import { MeController } from './me.controller';

/** The signed-in user's own routes. */
@Module({
  imports: [
    CacheModule.forFeature([USERS]),
    AuthModule,
    UsersModule,
    ChatsModule,
    ConfirmationsModule,
  ],
  controllers: [MeController],
})
export class MeModule {}
