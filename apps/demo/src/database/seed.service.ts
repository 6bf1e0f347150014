import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ChatMemberEntity } from './chat-member.entity';
import { ChatEntity } from './chat.entity';
import { MessageEntity } from './message.entity';
import { UserEntity } from './user.entity';

const DAY = 24 * 60 * 60 * 1000;

/** Fills an empty database with a few users, chats and messages, once. */
@Injectable()
export class SeedService implements OnModuleInit {
  private readonly logger = new Logger('Seed');

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Instances starting together on one PostgreSQL seed once: the second waits, then sees rows.
      if (this.dataSource.options.type === 'postgres')
        await manager.query('SELECT pg_advisory_xact_lock(7261001)');
      if ((await manager.count(UserEntity)) > 0) return;
      await this.seed(manager);
      this.logger.log('seeded users, chats and messages');
    });
  }

  private async seed(manager: EntityManager): Promise<void> {
    const now = Date.now();
    const [ada, alan, grace] = await manager.save(UserEntity, [
      { email: 'ada@example.com', name: 'Ada Lovelace', lastActiveAt: new Date(now - DAY) },
      { email: 'alan@example.com', name: 'Alan Turing', lastActiveAt: new Date(now - 2 * DAY) },
      { email: 'grace@example.com', name: 'Grace Hopper', lastActiveAt: new Date(now - 3 * DAY) },
      // Not active lately: not warmed into the cache at start.
      { email: 'linus@example.com', name: 'Linus Pauling', lastActiveAt: new Date(now - 90 * DAY) },
    ]);
    const [general, compilers] = await manager.save(ChatEntity, [
      { title: 'general', createdBy: ada.id },
      { title: 'compilers', createdBy: grace.id },
    ]);
    await manager.save(ChatMemberEntity, [
      { chatId: general.id, userId: ada.id, role: 'owner' as const },
      { chatId: general.id, userId: alan.id, role: 'member' as const },
      { chatId: general.id, userId: grace.id, role: 'member' as const },
      { chatId: compilers.id, userId: grace.id, role: 'owner' as const },
      { chatId: compilers.id, userId: alan.id, role: 'member' as const },
    ]);
    await manager.save(MessageEntity, [
      {
        chatId: general.id,
        authorId: ada.id,
        text: 'Welcome to the general chat!',
        editedAt: null,
      },
      { chatId: general.id, authorId: alan.id, text: 'Can machines think?', editedAt: null },
      {
        chatId: general.id,
        authorId: grace.id,
        text: 'It is easier to ask forgiveness.',
        editedAt: null,
      },
      {
        chatId: compilers.id,
        authorId: grace.id,
        text: 'The first compiler: A-0.',
        editedAt: null,
      },
    ]);
  }
}
