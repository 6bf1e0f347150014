import type { PostgresDatabase } from './postgres-database';
import { TcpProxy } from './tcp-proxy';

/** A proxy in front of the PostgreSQL server of a database, and that database reached through it. */
export interface DatabaseProxy {
  /** Freeze or cut it to make the database hang or go away for what connects through it. */
  readonly proxy: TcpProxy;
  /** The URL of the database through the proxy. */
  readonly url: string;
}

/** Starts a `TcpProxy` in front of the server of `database`; the caller cuts it when done. */
export async function startDatabaseProxy(database: PostgresDatabase): Promise<DatabaseProxy> {
  const direct = new URL(database.url);
  const proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  const url = new URL(database.url);
  // Where the proxy listens, whatever host name the server was given by.
  url.host = `127.0.0.1:${proxy.port}`;
  return { proxy, url: url.toString() };
}
