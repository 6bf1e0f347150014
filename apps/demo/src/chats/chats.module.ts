import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CacheModule } from 'nest-tiered-cache';
import { AuthModule } from '../auth/auth.module';
import { ConfirmationsModule } from '../confirmations/confirmations.module';
import { ChatMemberEntity } from '../database/chat-member.entity';
import { ChatEntity } from '../database/chat.entity';
import { MessageEntity } from '../database/message.entity';
import { CHATS, CHAT_USERS, MESSAGES, TEMP, TOPICS } from '../namespaces';
import { UsersModule } from '../users/users.module';
import { ChatEventsService } from './chat-events.service';
import { ChatsController } from './chats.controller';
import { ChatsService } from './chats.service';
import { TopicsService } from './topics.service';
import { TypingService } from './typing.service';

/** Chats, their settings, members, topics, typing indicators and change events. */
@Module({
  imports: [
    TypeOrmModule.forFeature([ChatEntity, ChatMemberEntity, MessageEntity]),
    CacheModule.forFeature([CHATS, CHAT_USERS, MESSAGES, TEMP, TOPICS]),
    AuthModule,
    UsersModule,
    ConfirmationsModule,
  ],
  controllers: [ChatsController],
  providers: [ChatsService, TypingService, TopicsService, ChatEventsService],
  exports: [ChatsService],
})
export class ChatsModule {}
