import type { ConfigService } from '@nestjs/config';
import type { DataSourceOptions } from 'typeorm';
import { ChatMemberEntity } from './chat-member.entity';
import { ChatEntity } from './chat.entity';
import { MessageEntity } from './message.entity';
import { UserEntity } from './user.entity';

/** The demo's entities, which the cache's own `cache_storage` table lives beside. */
export const ENTITIES = [UserEntity, ChatEntity, ChatMemberEntity, MessageEntity];

/**
 * PostgreSQL at `DATABASE_URL`, else the embedded SQLite store in the file `SQLITE_PATH`
 * (default `.demo.sqlite`). The schema is synchronized from the entities: a demo has no
 * deployments to migrate; the cache table comes from the cache module's own migration.
 */
export function databaseOptions(config: ConfigService): DataSourceOptions {
  const url = config.get<string>('DATABASE_URL');
  const common = { entities: ENTITIES, synchronize: true } as const;
  if (url) return { type: 'postgres', url, ...common };
  return {
    type: 'sqljs',
    location: config.get<string>('SQLITE_PATH') || '.demo.sqlite',
    autoSave: true,
    ...common,
  };
}
