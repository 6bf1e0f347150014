import type { Redis, RedisOptions } from 'ioredis';
import type { RedisClient } from './redis-connection';

/** Undefined once `client` is ready; else why it is not (an error, or the time that ran out). */
export function waitForReady(client: RedisClient, ms: number): Promise<string | undefined> {
  if (client.status === 'ready') return Promise.resolve(undefined);
  // Already failed once (an application's client created earlier): start degraded at once.
  if (client.status === 'reconnecting' || client.status === 'end')
    return Promise.resolve(`connection ${client.status === 'end' ? 'closed' : 'lost'}`);
  return new Promise((resolve) => {
    const done = (failure: string | undefined): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      resolve(failure);
    };
    const onReady = (): void => done(undefined);
    // A refused connection will not become ready by waiting: start degraded at once.
    const onError = (error: Error): void => done(error.message || String(error));
    const timer = setTimeout(() => done(`no connection within ${ms}ms`), ms);
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/** Where `client` connects: host:port, a socket path, a Sentinel group or a cluster's seeds. */
export function addressOf(client: RedisClient): string {
  if (client.isCluster) {
    // ioredis keeps the seed nodes private; they are what the application configured.
    const seeds = (client as unknown as { startupNodes?: Array<string | number | RedisOptions> })
      .startupNodes;
    const named = (seeds ?? []).map((node) =>
      typeof node === 'object' ? hostPort(node) : seedAddress(node),
    );
    return `cluster ${named.join(', ')}`;
  }
  const { options } = client as Redis;
  if (options.sentinels) return `sentinel group "${options.name ?? 'mymaster'}"`;
  return options.path ?? hostPort(options);
}

function hostPort(node: { host?: string; port?: number }): string {
  return `${node.host ?? 'localhost'}:${node.port ?? 6379}`;
}

/**
 * A seed given as a port or a URL (`redis://user:password@host:port`), as host:port only: a
 * password in it must not reach the log.
 */
function seedAddress(seed: string | number): string {
  if (typeof seed === 'number' || /^\d+$/.test(seed)) return hostPort({ port: Number(seed) });
  if (!seed.includes('://')) return seed.replace(/^.*@/, '');
  try {
    const url = new URL(seed);
    return hostPort({ host: url.hostname, port: url.port ? Number(url.port) : undefined });
  } catch {
    return 'a seed URL that does not parse';
  }
}
