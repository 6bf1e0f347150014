import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { InjectCache, NamespaceCache, PersistenceLevel } from 'nest-tiered-cache';
import { DataSource, Repository } from 'typeorm';
import { ChatMemberEntity } from '../database/chat-member.entity';
import { ChatEntity } from '../database/chat.entity';
import { MessageEntity } from '../database/message.entity';
import { chatTag, DEFAULT_SETTINGS, type ChatInfo, type ChatSettings } from './chat';
import { UsersRepository } from '../users/users.repository';
import { chatUserKey, type ChatUser } from './chat-user';

/** The share of a header's TTL left when a read reloads it in the background. */
export const HEADER_REFRESH_AHEAD = 0.2;

/** Chats, their settings and their members, each behind its namespace. */
@Injectable()
export class ChatsService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(ChatEntity) private readonly chatRows: Repository<ChatEntity>,
    @InjectRepository(ChatMemberEntity) private readonly members: Repository<ChatMemberEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    // One namespace, two typed views: `info:<id>` keys hold headers, `settings:<id>` settings.
    @InjectCache('chats') private readonly chatInfos: NamespaceCache<ChatInfo>,
    @InjectCache('chats') private readonly chatSettings: NamespaceCache<ChatSettings>,
    @InjectCache('chatUsers') private readonly chatUsers: NamespaceCache<ChatUser>,
    @InjectCache('messages') private readonly messageCaches: NamespaceCache<unknown>,
    @InjectCache('topics') private readonly topics: NamespaceCache<unknown>,
    private readonly users: UsersRepository,
  ) {}

  /**
   * The chat's header, loaded once and reloaded after each change; a 404 for no such chat. A
   * header read often is reloaded in the background in its last fifth (`refreshAhead`), so a hot
   * chat never waits for its counts; with Redis, one instance loads it while others wait for its
   * value (`lock`).
   */
  info(chatId: number): Promise<ChatInfo> {
    return this.chatInfos.getOrSet(`info:${chatId}`, () => this.loadInfo(chatId), {
      refreshAhead: HEADER_REFRESH_AHEAD,
      lock: true,
    });
  }

  /** Public profiles of the chat's members with their role, from `userRecords` in one batch. */
  async memberProfiles(
    chatId: number,
  ): Promise<Array<{ id: number; name: string; role: 'owner' | 'member' }>> {
    const rows = await this.members.find({ where: { chatId }, order: { userId: 'ASC' } });
    const users = await this.users.findMany(rows.map((row) => row.userId));
    return rows.flatMap((row, i) => {
      const user = users[i];
      return user ? [{ id: user.id, name: user.name, role: row.role }] : [];
    });
  }

  /** The chat's settings, or the defaults while its owner changed none. */
  async settings(chatId: number): Promise<ChatSettings> {
    return (await this.chatSettings.get(`settings:${chatId}`)) ?? DEFAULT_SETTINGS;
  }

  /** Owners only. Written to the durable store before this resolves; never expires. */
  async updateSettings(
    chatId: number,
    userId: number,
    patch: Partial<ChatSettings>,
  ): Promise<ChatSettings> {
    const member = await this.requireMember(chatId, userId);
    if (member.role !== 'owner') throw new ForbiddenException('only the owner changes settings');
    const settings = { ...(await this.settings(chatId)), ...patch };
    await this.chatSettings.set(`settings:${chatId}`, settings, {
      persistence: PersistenceLevel.ON_CHANGE,
      ttl: Infinity,
    });
    // The header shows the topic: dropping it also tells the chat's listeners (`ChatEvents`).
    await this.refreshInfo(chatId);
    return settings;
  }

  /** The member's state in the chat; a 403 for non-members (who are not cached), 404 for no chat. */
  async requireMember(chatId: number, userId: number): Promise<ChatUser> {
    const member = await this.chatUsers.getOrSet(
      chatUserKey(chatId, userId),
      () => this.loadMember(chatId, userId) as Promise<ChatUser>,
      { unless: (found: ChatUser | null) => found === null },
    );
    if (!member) {
      await this.info(chatId);
      throw new ForbiddenException(`you are not a member of chat ${chatId}`);
    }
    return member;
  }

  /**
   * Remembers how far a member the caller just checked (`requireMember`) read; frequent, so
   * written to the table periodically. Only patches the cached membership, so a `leave` in
   * between is never undone.
   */
  async markRead(chatId: number, userId: number, lastReadMessageId: number): Promise<void> {
    await this.chatUsers.update(chatUserKey(chatId, userId), {
      lastReadMessageId,
      lastReadAt: new Date(),
    });
  }

  /** A new chat with its creator as owner. */
  async create(title: string, userId: number): Promise<ChatInfo> {
    const chat = await this.dataSource.transaction(async (manager) => {
      const created = await manager.save(ChatEntity, { title, createdBy: userId });
      await manager.save(ChatMemberEntity, { chatId: created.id, userId, role: 'owner' });
      return created;
    });
    return this.info(chat.id);
  }

  /** Joins an existing chat; joining twice is a no-op. */
  async join(chatId: number, userId: number): Promise<ChatInfo> {
    await this.info(chatId);
    await this.members
      .createQueryBuilder()
      .insert()
      .values({ chatId, userId, role: 'member' })
      .orIgnore()
      .execute();
    await this.chatUsers.delete(chatUserKey(chatId, userId));
    return this.refreshInfo(chatId);
  }

  /** Leaves a chat; its owner deletes it instead. */
  async leave(chatId: number, userId: number): Promise<ChatInfo> {
    const member = await this.requireMember(chatId, userId);
    if (member.role === 'owner')
      throw new ForbiddenException('the owner cannot leave; delete the chat instead');
    await this.members.delete({ chatId, userId });
    await this.chatUsers.delete(chatUserKey(chatId, userId));
    return this.refreshInfo(chatId);
  }

  /** Deletes the chat's rows, then every cached entry of it: by pattern, by tag and by key. */
  async remove(chatId: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.delete(MessageEntity, { chatId });
      await manager.delete(ChatMemberEntity, { chatId });
      await manager.delete(ChatEntity, { id: chatId });
    });
    await this.chatUsers.invalidatePattern(`${chatId}:*`);
    await this.topics.invalidatePattern(`${chatId}:*`);
    await this.messageCaches.invalidateTags([chatTag(chatId)]);
    await this.chatInfos.delete(`info:${chatId}`);
    await this.chatSettings.delete(`settings:${chatId}`);
  }

  /**
   * Drops the cached header after a change and loads it again. Dropping (not writing a count
   * taken earlier) means a slower concurrent change can never leave an older count behind: a
   * delete supersedes any load in flight.
   */
  async refreshInfo(chatId: number): Promise<ChatInfo> {
    await this.chatInfos.delete(`info:${chatId}`);
    return this.info(chatId);
  }

  /** The chats a user is in, with their role. */
  async chatsOf(userId: number): Promise<Array<{ id: number; title: string; role: string }>> {
    const rows = await this.chatRows
      .createQueryBuilder('chat')
      .innerJoin(ChatMemberEntity, 'member', 'member.chatId = chat.id')
      .where('member.userId = :userId', { userId })
      .select(['chat.id AS id', 'chat.title AS title', 'member.role AS role'])
      .orderBy('chat.id')
      .getRawMany<{ id: number; title: string; role: string }>();
    return rows.map((row) => ({ id: Number(row.id), title: row.title, role: row.role }));
  }

  private async loadInfo(chatId: number): Promise<ChatInfo> {
    const chat = await this.chatRows.findOneBy({ id: chatId });
    if (!chat) throw new NotFoundException(`no chat ${chatId}`);
    const [members, messages, last, settings] = await Promise.all([
      this.members.countBy({ chatId }),
      this.messages.countBy({ chatId }),
      this.messages.findOne({ where: { chatId }, order: { id: 'DESC' } }),
      this.settings(chatId),
    ]);
    return {
      id: chat.id,
      title: chat.title,
      topic: settings.topic,
      members,
      messages,
      lastMessageAt: last?.createdAt ?? null,
    };
  }

  private async loadMember(chatId: number, userId: number): Promise<ChatUser | null> {
    const row = await this.members.findOneBy({ chatId, userId });
    if (!row) return null;
    return { chatId, userId, role: row.role, lastReadMessageId: null, lastReadAt: null };
  }
}
