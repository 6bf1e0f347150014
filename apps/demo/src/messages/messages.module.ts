import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CacheModule } from 'nest-tiered-cache';
import { AuthModule } from '../auth/auth.module';
import { ChatsModule } from '../chats/chats.module';
import { MessageEntity } from '../database/message.entity';
import { MESSAGES } from '../namespaces';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { RateLimitGuard } from './rate-limit.guard';

/** Messages, their caches, and the rate limit on posting. */
@Module({
  imports: [
    TypeOrmModule.forFeature([MessageEntity]),
    CacheModule.forFeature([MESSAGES]),
    AuthModule,
    ChatsModule,
  ],
  controllers: [MessagesController],
  providers: [MessagesService, RateLimitGuard],
})
export class MessagesModule {}
