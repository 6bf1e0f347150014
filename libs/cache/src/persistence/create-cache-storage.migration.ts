import type { MigrationInterface, QueryRunner } from 'typeorm';
import { loadPeer } from '../optional-peer';

/**
 * Creates `cache_storage`: `namespace text, key text, value jsonb, expires_at timestamptz null,
 * metadata jsonb, created_at, updated_at`, primary key (namespace, key), an index on expires_at.
 * On the embedded SQLite store the JSON and time columns use SQLite's own types.
 */
export class CreateCacheStorage1763700000000 implements MigrationInterface {
  name = 'CreateCacheStorage1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { Table, TableIndex } = loadPeer<typeof import('typeorm')>('typeorm', 'persistence');
    const postgres = queryRunner.connection.options.type === 'postgres';
    const json = postgres ? 'jsonb' : 'text';
    const time = postgres ? 'timestamptz' : 'datetime';
    const now = postgres ? 'now()' : "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
    await queryRunner.createTable(
      new Table({
        name: 'cache_storage',
        columns: [
          { name: 'namespace', type: 'text', isPrimary: true },
          { name: 'key', type: 'text', isPrimary: true },
          { name: 'value', type: json },
          { name: 'expires_at', type: time, isNullable: true },
          { name: 'metadata', type: json },
          { name: 'created_at', type: time, default: now },
          { name: 'updated_at', type: time, default: now },
        ],
      }),
      true,
    );
    await queryRunner.createIndex(
      'cache_storage',
      new TableIndex({ name: 'IDX_cache_storage_expires_at', columnNames: ['expires_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('cache_storage', true);
  }
}
