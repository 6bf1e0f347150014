import { Body, Controller, Get, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { CurrentUser } from '../auth/current-user.decorator';
import { SessionGuard } from '../auth/session.guard';
import { optionalCount, requireId, requireText } from '../validation';
import type { Message } from './message';
import { MessagesService, RECENT_MESSAGES } from './messages.service';
import { RateLimitGuard } from './rate-limit.guard';

/** Messages of a chat: recent ones, posting (rate limited), search and edits. */
@Controller()
@UseGuards(SessionGuard)
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get('chats/:id/messages')
  recent(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Query('limit') limit?: string,
  ): Promise<Message[]> {
    return this.messages.recent(
      requireId(id, 'id'),
      userId,
      optionalCount(limit, 'limit', RECENT_MESSAGES),
    );
  }

  @Post('chats/:id/messages')
  @UseGuards(RateLimitGuard)
  post(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Body() body: { text?: unknown },
  ): Promise<Message> {
    return this.messages.post(requireId(id, 'id'), userId, requireText(body.text, 'text', 4000));
  }

  @Get('chats/:id/search')
  search(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Query('q') q?: string,
    @Query('from') from?: string,
    @Query('limit') limit?: string,
  ): Promise<Message[]> {
    return this.messages.search(requireId(id, 'id'), userId, {
      text: requireText(q, 'q', 100),
      ...(from !== undefined && { authorId: requireId(from, 'from') }),
      limit: optionalCount(limit, 'limit', 100) ?? 20,
    });
  }

  @Patch('messages/:id')
  edit(
    @CurrentUser() userId: number,
    @Param('id') id: string,
    @Body() body: { text?: unknown },
  ): Promise<Message> {
    return this.messages.edit(requireId(id, 'id'), userId, requireText(body.text, 'text', 4000));
  }
}
