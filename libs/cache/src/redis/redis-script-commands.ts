import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection';
import type { RedisScript } from './redis-script-helpers';
import { REDIS_SCRIPTS } from './redis-scripts';

/** The scripts of `REDIS_SCRIPTS`, defined as commands on a client. */
export interface ScriptCommands {
  cacheSet(
    vkey: string,
    base: string,
    key: string,
    text: string,
    ttl: number,
    refs: string,
  ): Promise<number>;
  cacheSetIfAbsent(
    vkey: string,
    base: string,
    key: string,
    text: string,
    ttl: number,
    refs: string,
    now: number,
  ): Promise<number>;
  cacheCompareAndSet(vkey: string, expected: string, replacement: string): Promise<number>;
  cacheIncrement(
    vkey: string,
    base: string,
    key: string,
    by: number,
    head: string,
    ttl: number,
    refs: string,
    now: number,
  ): Promise<string>;
  cacheExpire(
    vkey: string,
    base: string,
    key: string,
    expires: string,
    now: number,
  ): Promise<number>;
  /** The keys deleted: held, and stale (past their TTL at `now`). */
  cacheDelete(
    anyKey: string,
    base: string,
    now: number,
    ...keys: string[]
  ): Promise<[string[], string[]]>;
  /** As `cacheDelete`. */
  cacheDeleteByTags(
    anyKey: string,
    base: string,
    now: number,
    ...tags: string[]
  ): Promise<[string[], string[]]>;
  cacheMarkEpoch(anyKey: string, base: string): Promise<number>;
  cacheSetUnlessChanged(
    vkey: string,
    base: string,
    key: string,
    text: string,
    ttl: number,
    refs: string,
    seen: string,
    digest: string,
  ): Promise<number>;
  cacheIndexMembers(set: string, base: string, ref: string, now: number): Promise<string[]>;
  cacheReleaseLock(lockKey: string, token: string): Promise<number>;
}

/** A client with the cache's scripts. */
export type ScriptedClient = RedisClient & ScriptCommands;

/** A pipeline of the client, with the cache's scripts queued on it. */
export interface ScriptedPipeline {
  cacheSetIfAbsent(...args: Parameters<ScriptCommands['cacheSetIfAbsent']>): ScriptedPipeline;
  /** The replies, in order: `[error, reply]` each. */
  exec(): Promise<Array<[Error | null, unknown]>>;
}

/** A script with the SHA1 the server knows it by. */
interface LoadedScript extends RedisScript {
  readonly sha: string;
}

const LOADED: ReadonlyArray<[keyof ScriptCommands, LoadedScript]> = Object.entries(
  REDIS_SCRIPTS,
).map(([name, script]) => [
  name as keyof ScriptCommands,
  { ...script, sha: createHash('sha1').update(script.lua).digest('hex') },
]);

/**
 * Gives `client` the cache's scripts as methods (EVALSHA, falling back to EVAL when the server
 * does not hold the script yet). Not ioredis's `defineCommand`: ioredis copies every defined
 * command onto each pipeline it builds, and with auto-pipelining it builds one per batch of
 * plain GETs and SETs, which made every command on the client slower.
 */
export function defineScripts(client: RedisClient): ScriptedClient {
  for (const [name, script] of LOADED) {
    if (name in client) continue;
    Object.defineProperty(client, name, {
      value: (...args: Array<string | number>) => runScript(client, script, args),
      configurable: true,
    });
  }
  return client as ScriptedClient;
}

/** A pipeline on `client` that queues the cache's scripts (see `ScriptedPipeline`). */
export function scriptedPipeline(client: ScriptedClient): ScriptedPipeline {
  const pipeline = client.pipeline();
  const queued: Array<Array<string | number>> = [];
  const setIfAbsent = scriptNamed('cacheSetIfAbsent');
  const scripted: ScriptedPipeline = {
    cacheSetIfAbsent: (...args) => {
      queued.push(args);
      pipeline.evalsha(setIfAbsent.sha, setIfAbsent.numberOfKeys, ...args);
      return scripted;
    },
    exec: async () => {
      const replies = ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
      const missing = replies.flatMap(([error], i) => (isNoScript(error) ? [i] : []));
      if (missing.length === 0) return replies;
      // The node did not hold the script (a new or restarted server): nothing ran. The first
      // call loads it, the others follow by its SHA.
      const [first, ...rest] = missing;
      const rerun = async (i: number): Promise<void> => {
        try {
          replies[i] = [null, await runScript(client, setIfAbsent, queued[i])];
        } catch (error) {
          replies[i] = [error as Error, null];
        }
      };
      await rerun(first);
      await Promise.all(rest.map(rerun));
      return replies;
    },
  };
  return scripted;
}

function scriptNamed(name: keyof ScriptCommands): LoadedScript {
  return (LOADED.find(([known]) => known === name) as [string, LoadedScript])[1];
}

function runScript(
  client: RedisClient,
  script: LoadedScript,
  args: Array<string | number>,
): Promise<unknown> {
  return client.evalsha(script.sha, script.numberOfKeys, ...args).catch((error: unknown) => {
    if (!isNoScript(error)) throw error;
    return client.eval(script.lua, script.numberOfKeys, ...args);
  });
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
