import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';

const TABLE = 'cache_storage';
const INDEX = 'IDX_cache_storage_expires_at';
const SQLITE_NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";

/**
 * Scopes `cache_storage` by the application's `prefix`, as Redis keys are: adds
 * `prefix text not null` and makes the primary key (prefix, namespace, key), so applications
 * with different prefixes on one database never read, load, clear or clean up each other's
 * rows. Rows already in the table were written before they were scoped: they are carried over
 * under `prefix` (given by the module, which upgrades with its own prefix; under the typeorm CLI,
 * the `CACHE_PREFIX` environment variable, else `cache`, the module's default). Does nothing on a
 * table that already has the column. `down` keeps only the rows of `prefix`.
 */
export class ScopeCacheStorageByPrefix1795600000000 implements MigrationInterface {
  name = 'ScopeCacheStorageByPrefix1795600000000';

  constructor(
    private readonly prefix: string = process.env.CACHE_PREFIX || CACHE_DEFAULTS.prefix,
  ) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    if (await queryRunner.hasColumn(TABLE, 'prefix')) return;
    if (isPostgres(queryRunner)) {
      await queryRunner.query(`ALTER TABLE ${TABLE} ADD COLUMN prefix text`);
      await queryRunner.query(`UPDATE ${TABLE} SET prefix = $1`, [this.prefix]);
      await queryRunner.query(`ALTER TABLE ${TABLE} ALTER COLUMN prefix SET NOT NULL`);
      await replacePrimaryKey(queryRunner, ['prefix', 'namespace', 'key']);
      return;
    }
    await rebuildSqlite(queryRunner, this.prefix);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasColumn(TABLE, 'prefix'))) return;
    // (namespace, key) is unique only within one prefix.
    const mark = isPostgres(queryRunner) ? '$1' : '?';
    await queryRunner.query(`DELETE FROM ${TABLE} WHERE prefix <> ${mark}`, [this.prefix]);
    if (isPostgres(queryRunner)) {
      await replacePrimaryKey(queryRunner, ['namespace', 'key']);
      await queryRunner.query(`ALTER TABLE ${TABLE} DROP COLUMN prefix`);
      return;
    }
    await rebuildSqlite(queryRunner, undefined);
  }
}

function isPostgres(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.options.type === 'postgres';
}

/** Swaps the primary key, named as TypeORM names the entity's (so schema diffs stay empty). */
async function replacePrimaryKey(queryRunner: QueryRunner, columns: string[]): Promise<void> {
  const [current] = (await queryRunner.query(
    `SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
    [TABLE],
  )) as Array<{ conname: string }>;
  if (current) {
    await queryRunner.query(`ALTER TABLE ${TABLE} DROP CONSTRAINT "${current.conname}"`);
  }
  const name = queryRunner.connection.namingStrategy.primaryKeyName(TABLE, columns);
  await queryRunner.query(
    `ALTER TABLE ${TABLE} ADD CONSTRAINT "${name}" PRIMARY KEY (${columns.join(', ')})`,
  );
}

/**
 * SQLite cannot change a primary key in place: the rows are copied into a table of the new
 * shape, scoped (under `prefix`) or not (`undefined`).
 */
async function rebuildSqlite(queryRunner: QueryRunner, prefix: string | undefined): Promise<void> {
  const scoped = prefix !== undefined;
  const leading = scoped ? 'prefix, namespace' : 'namespace';
  const next = `${TABLE}_next`;
  await queryRunner.query(
    `CREATE TABLE ${next} (${scoped ? 'prefix text NOT NULL, ' : ''}namespace text NOT NULL,
       key text NOT NULL, value text NOT NULL, expires_at datetime, metadata text NOT NULL,
       created_at datetime NOT NULL DEFAULT ${SQLITE_NOW},
       updated_at datetime NOT NULL DEFAULT ${SQLITE_NOW},
       PRIMARY KEY (${leading}, key))`,
  );
  await queryRunner.query(
    `INSERT INTO ${next} (${leading}, key, value, expires_at, metadata, created_at, updated_at)
     SELECT ${scoped ? '?, namespace' : 'namespace'}, key, value, expires_at, metadata, created_at,
       updated_at FROM ${TABLE}`,
    scoped ? [prefix] : [],
  );
  await queryRunner.query(`DROP TABLE ${TABLE}`);
  await queryRunner.query(`ALTER TABLE ${next} RENAME TO ${TABLE}`);
  await queryRunner.query(`CREATE INDEX "${INDEX}" ON ${TABLE} (expires_at)`);
}
