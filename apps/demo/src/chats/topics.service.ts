import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import { randomBytes } from 'node:crypto';

/** A thread inside a chat, kept in `topics` as `<chatId>:<topicId>`. */
export interface Topic {
  id: string;
  chatId: number;
  title: string;
  openedBy: number;
  openedAt: Date;
  closedAt: Date | null;
}

/**
 * Topics of chats: they exist only in the cache (`topics`, ON_SHUTDOWN), listed per chat through
 * a secondary index; the shutdown flush writes them and the next start loads them back.
 */
@Injectable()
export class TopicsService {
  constructor(@InjectCache('topics') private readonly topics: NamespaceCache<Topic>) {}

  /** Opens a topic in the chat. */
  async open(chatId: number, userId: number, title: string): Promise<Topic> {
    const topic: Topic = {
      id: randomBytes(4).toString('hex'),
      chatId,
      title,
      openedBy: userId,
      openedAt: new Date(),
      closedAt: null,
    };
    await this.topics.set(`${chatId}:${topic.id}`, topic, { indexes: { chat: String(chatId) } });
    return topic;
  }

  /** The chat's topics, oldest first. */
  async list(chatId: number): Promise<Topic[]> {
    const topics = await this.topics.getByIndex('chat', String(chatId));
    return [...topics].sort((a, b) => +new Date(a.openedAt) - +new Date(b.openedAt));
  }

  /** Closes a topic of the chat; a 404 for none. */
  async close(chatId: number, topicId: string): Promise<Topic> {
    const key = `${chatId}:${topicId}`;
    if (
      !/^[0-9a-f]{8}$/.test(topicId) ||
      !(await this.topics.update(key, { closedAt: new Date() }))
    )
      throw new NotFoundException(`no topic ${topicId} in chat ${chatId}`);
    return (await this.topics.get(key)) as Topic;
  }
}
