import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Sse,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { CacheEvict } from 'nest-tiered-cache';
import { CurrentUser } from '../auth/current-user.decorator';
import { SessionGuard } from '../auth/session.guard';
import { ConfirmationsService } from '../confirmations/confirmations.service';
import { optionalCount, optionalText, requireId, requireText } from '../validation';
import type { ChatInfo, ChatSettings } from './chat';
import type { ChatUser } from './chat-user';
import { ChatEventsService } from './chat-events.service';
import { ChatsService } from './chats.service';
import { TopicsService, type Topic } from './topics.service';
import { TypingService } from './typing.service';

/** Membership changes alter every member's cached `GET /me`. */
const EVICT_ME = { namespace: 'http', tags: ['me'] };

/** Chats of the signed-in user: create, read, configure, join, leave, type, delete. */
@Controller('chats')
@UseGuards(SessionGuard)
export class ChatsController {
  constructor(
    private readonly chats: ChatsService,
    private readonly typing: TypingService,
    private readonly confirmations: ConfirmationsService,
    private readonly topics: TopicsService,
    private readonly events: ChatEventsService,
  ) {}

  @Post()
  @CacheEvict(EVICT_ME)
  create(@CurrentUser() userId: number, @Body() body: { title?: unknown }): Promise<ChatInfo> {
    return this.chats.create(requireText(body.title, 'title', 100), userId);
  }

  @Get(':id')
  async find(
    @CurrentUser() userId: number,
    @Param('id') id: string,
  ): Promise<{ info: ChatInfo; settings: ChatSettings; you: ChatUser }> {
    const chatId = requireId(id, 'id');
    const you = await this.chats.requireMember(chatId, userId);
    const [info, settings] = await Promise.all([
      this.chats.info(chatId),
      this.chats.settings(chatId),
    ]);
    return { info, settings, you };
  }

  /** Members' public profiles, loaded in one batch for those not cached. */
  @Get(':id/members')
  async members(
    @CurrentUser() userId: number,
    @Param('id') id: string,
  ): Promise<Array<{ id: number; name: string; role: string }>> {
    const chatId = requireId(id, 'id');
    await this.chats.requireMember(chatId, userId);
    return this.chats.memberProfiles(chatId);
  }

  /** Server-sent events: `ready`, then `header` and `messages` when those change. */
  @Sse(':id/events')
  async changes(
    @CurrentUser() userId: number,
    @Param('id') id: string,
  ): Promise<Observable<MessageEvent>> {
    const chatId = requireId(id, 'id');
    await this.chats.requireMember(chatId, userId);
    return this.events.events(chatId);
  }

  @Post(':id/topics')
  async openTopic(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Body() body: { title?: unknown },
  ): Promise<Topic> {
    const chatId = requireId(id, 'id');
    await this.chats.requireMember(chatId, userId);
    return this.topics.open(chatId, userId, requireText(body.title, 'title', 100));
  }

  @Get(':id/topics')
  async listTopics(@CurrentUser() userId: number, @Param('id') id: string): Promise<Topic[]> {
    const chatId = requireId(id, 'id');
    await this.chats.requireMember(chatId, userId);
    return this.topics.list(chatId);
  }

  @Post(':id/topics/:topic/close')
  @HttpCode(200)
  async closeTopic(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Param('topic') topic: string,
  ): Promise<Topic> {
    const chatId = requireId(id, 'id');
    await this.chats.requireMember(chatId, userId);
    return this.topics.close(chatId, topic);
  }

  @Patch(':id/settings')
  updateSettings(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Body() body: { topic?: unknown; maxMessageLength?: unknown },
  ): Promise<ChatSettings> {
    const patch: Partial<ChatSettings> = {};
    const topic = optionalText(body.topic, 'topic', 200);
    if (topic !== undefined) patch.topic = topic;
    const max = optionalCount(body.maxMessageLength, 'maxMessageLength', 4000);
    if (max !== undefined) patch.maxMessageLength = max;
    return this.chats.updateSettings(requireId(id, 'id'), userId, patch);
  }

  @Post(':id/join')
  @HttpCode(200)
  @CacheEvict(EVICT_ME)
  join(@CurrentUser() userId: number, @Param('id') id: string): Promise<ChatInfo> {
    return this.chats.join(requireId(id, 'id'), userId);
  }

  @Post(':id/leave')
  @HttpCode(200)
  @CacheEvict(EVICT_ME)
  leave(@CurrentUser() userId: number, @Param('id') id: string): Promise<ChatInfo> {
    return this.chats.leave(requireId(id, 'id'), userId);
  }

  @Post(':id/typing')
  @HttpCode(204)
  async startTyping(@CurrentUser() userId: number, @Param('id') id: string): Promise<void> {
    const chatId = requireId(id, 'id');
    await this.chats.requireMember(chatId, userId);
    await this.typing.startTyping(chatId, userId);
  }

  @Get(':id/typing')
  async whoIsTyping(
    @CurrentUser() userId: number,
    @Param('id') id: string,
  ): Promise<{ userIds: number[] }> {
    const chatId = requireId(id, 'id');
    await this.chats.requireMember(chatId, userId);
    return { userIds: await this.typing.whoIsTyping(chatId) };
  }

  /** Deleting a chat takes two steps: this returns a code, `DELETE /chats/:id?code=` uses it. */
  @Post(':id/delete-request')
  async requestDelete(
    @CurrentUser() userId: number,
    @Param('id') id: string,
  ): Promise<{ code: string }> {
    const chatId = requireId(id, 'id');
    const member = await this.chats.requireMember(chatId, userId);
    if (member.role !== 'owner') throw new ForbiddenException('only the owner deletes a chat');
    return { code: await this.confirmations.create({ kind: 'delete-chat', chatId, userId }) };
  }

  @Delete(':id')
  @CacheEvict(EVICT_ME)
  async remove(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Query('code') code: string | undefined,
  ): Promise<{ deleted: number }> {
    const chatId = requireId(id, 'id');
    await this.confirmations.take(
      requireText(code, 'code', 16),
      'delete-chat',
      (action) => action.chatId === chatId && action.userId === userId,
    );
    await this.chats.remove(chatId);
    return { deleted: chatId };
  }
}
