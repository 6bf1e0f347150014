import { Client } from 'pg';
import { randomUUID } from 'node:crypto';

/**
 * A throwaway database on the PostgreSQL at DATABASE_URL (default: the local server, trust auth),
 * dropped when the test is done.
 */
export class PostgresDatabase {
  private constructor(
    private readonly adminUrl: string,
    readonly name: string,
  ) {}

  static async create(): Promise<PostgresDatabase> {
    const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const name = `cache_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await PostgresDatabase.admin(adminUrl, `CREATE DATABASE ${name}`);
    return new PostgresDatabase(adminUrl, name);
  }

  /** The URL of the database itself. */
  get url(): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  /** Runs one query on the database. */
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async drop(): Promise<void> {
    await PostgresDatabase.admin(
      this.adminUrl,
      `DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`,
    );
  }

  private static async admin(url: string, sql: string): Promise<void> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}
