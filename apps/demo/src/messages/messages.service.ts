import {
  ForbiddenException,
  Injectable,
  NotFoundException,
  BadRequestException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import { Repository } from 'typeorm';
import { ChatsService } from '../chats/chats.service';
import { MessageEntity } from '../database/message.entity';
import { chatTag } from '../chats/chat';
import { toMessage, type Message } from './message';
import { searchKey, type SearchQuery } from './search-key';

/** How many recent messages a chat keeps in the cache. */
export const RECENT_MESSAGES = 50;

/**
 * Messages from the database, with the last `RECENT_MESSAGES` of each chat and search results
 * cached. A new message drops the chat's searches by pattern and its recent list; an edit drops
 * everything tagged with the chat.
 */
@Injectable()
export class MessagesService {
  constructor(
    @InjectRepository(MessageEntity) private readonly rows: Repository<MessageEntity>,
    @InjectCache('messages') private readonly cache: NamespaceCache<Message[]>,
    private readonly chats: ChatsService,
  ) {}

  /** The most recent messages, newest last; marks them read for the member. */
  async recent(chatId: number, userId: number, limit = RECENT_MESSAGES): Promise<Message[]> {
    await this.chats.requireMember(chatId, userId);
    const recent = await this.cache.getOrSet(
      `recent:${chatId}`,
      async () => {
        const newest = await this.rows.find({
          where: { chatId },
          order: { id: 'DESC' },
          take: RECENT_MESSAGES,
        });
        return newest.reverse().map(toMessage);
      },
      { tags: [chatTag(chatId)] },
    );
    const last = recent.at(-1);
    if (last) await this.chats.markRead(chatId, userId, last.id);
    return recent.slice(-limit);
  }

  /** Messages matching the query, newest first, cached per query and filters for 5 minutes. */
  async search(chatId: number, userId: number, query: SearchQuery): Promise<Message[]> {
    await this.chats.requireMember(chatId, userId);
    return this.cache.getOrSet(
      searchKey(chatId, query),
      async () => {
        const pattern = `%${query.text.toLowerCase().replace(/[\\%_]/g, (c: string) => `\\${c}`)}%`;
        const builder = this.rows
          .createQueryBuilder('message')
          .where('message.chatId = :chatId', { chatId })
          .andWhere("LOWER(message.text) LIKE :pattern ESCAPE '\\'", { pattern });
        if (query.authorId !== undefined)
          builder.andWhere('message.authorId = :authorId', { authorId: query.authorId });
        const found = await builder.orderBy('message.id', 'DESC').take(query.limit).getMany();
        return found.map(toMessage);
      },
      { tags: [chatTag(chatId)], ttl: '5m' },
    );
  }

  /** Posts as a member, within the chat's length limit. */
  async post(chatId: number, userId: number, text: string): Promise<Message> {
    await this.requireWritable(chatId, userId, text);
    const message = toMessage(
      await this.rows.save({ chatId, authorId: userId, text, editedAt: null }),
    );
    // Searches of this chat may now match more; the recent list gained one.
    await this.cache.invalidatePattern(`search:${chatId}:*`);
    await this.cache.delete(`recent:${chatId}`);
    await this.chats.refreshInfo(chatId);
    return message;
  }

  /** Edits one's own message, as a member still, within the chat's length limit. */
  async edit(messageId: number, userId: number, text: string): Promise<Message> {
    const row = await this.rows.findOneBy({ id: messageId });
    if (!row) throw new NotFoundException(`no message ${messageId}`);
    if (row.authorId !== userId) throw new ForbiddenException('only the author edits a message');
    await this.requireWritable(row.chatId, userId, text);
    await this.rows.update({ id: messageId }, { text, editedAt: new Date() });
    // Every recent list and search result of the chat may hold the old text.
    await this.cache.invalidateTags([chatTag(row.chatId)]);
    return toMessage(await this.rows.findOneByOrFail({ id: messageId }));
  }

  private async requireWritable(chatId: number, userId: number, text: string): Promise<void> {
    await this.chats.requireMember(chatId, userId);
    const { maxMessageLength } = await this.chats.settings(chatId);
    if (text.length > maxMessageLength)
      throw new BadRequestException(`text: at most ${maxMessageLength} characters in this chat`);
  }
}
