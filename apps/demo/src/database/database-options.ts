import type { ConfigService } from '@nestjs/config';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ChatMemberEntity } from './chat-member.entity';
import { ChatEntity } from './chat.entity';
import { MessageEntity } from './message.entity';
import { UserEntity } from './user.entity';

/** The demo's entities, which the cache's own `cache_storage` table lives beside. */
export const ENTITIES = [UserEntity, ChatEntity, ChatMemberEntity, MessageEntity];

/** The advisory lock instances on one PostgreSQL take to create the schema one at a time. */
export const SCHEMA_LOCK = 7261000;

/**
 * PostgreSQL at `DATABASE_URL`, else the embedded SQLite store in the file `SQLITE_PATH`
 * (default `.demo.sqlite`). The schema is synchronized from the entities (see
 * `openDataSource`): a demo has no deployments to migrate; the cache table comes from the cache
 * module's own migration.
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

/**
 * Connects and synchronizes the schema. On PostgreSQL, instances starting together on a fresh
 * database would each create the tables and one would fail on a duplicate type name, so the
 * synchronization runs under an advisory lock: the second waits, then finds the schema there.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  if (options.type !== 'postgres' || !options.synchronize)
    return new DataSource(options).initialize();
  const dataSource = await new DataSource({ ...options, synchronize: false }).initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    try {
      await dataSource.synchronize();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  } finally {
    await runner.release();
  }
  return dataSource;
}
