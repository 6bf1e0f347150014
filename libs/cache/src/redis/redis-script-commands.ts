import type { RedisClient } from './redis-connection';
import { REDIS_SCRIPTS, SCRIPT_COMMAND, SCRIPT_PROGRAM } from './redis-scripts';

/** The scripts of `REDIS_SCRIPTS`, as methods of a client. */
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
  /** How many of the unlinked `valueKeys` held a fresh entry at `now`. */
  cacheUnlinkValues(anyKey: string, now: number, ...valueKeys: string[]): Promise<number>;
  /** Drops the members of `sets` whose entry no longer lists them; unlinks other keys. */
  cachePruneSets(anyKey: string, base: string, ...sets: string[]): Promise<number>;
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
  /** Queues the script `name` of `REDIS_SCRIPTS`, its one KEY first. */
  [SCRIPT_COMMAND](
    key: string,
    name: ScriptName,
    ...args: Array<string | number>
  ): ScriptedPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** The name of a script of `REDIS_SCRIPTS`. */
export type ScriptName = keyof typeof REDIS_SCRIPTS;

type Run = (this: RedisClient, key: string, name: string, ...args: unknown[]) => Promise<unknown>;

/**
 * Defines the cache's scripts on `client`: one command running the program of them all
 * (`SCRIPT_PROGRAM`), and a method per script that runs it through that command. ioredis sends a
 * script by its body the first time on each connection and by SHA after, so a script keeps its
 * place among the other commands even on a server that does not hold it yet (see
 * redis-script-order e2e).
 */
export function defineScripts(client: RedisClient): ScriptedClient {
  if (!(SCRIPT_COMMAND in client)) client.defineCommand(SCRIPT_COMMAND, SCRIPT_PROGRAM);
  const run = (client as unknown as Record<string, Run>)[SCRIPT_COMMAND];
  for (const name of Object.keys(REDIS_SCRIPTS)) {
    if (name in client) continue;
    // Own methods of the client, not commands: ioredis copies its commands onto every pipeline.
    Object.defineProperty(client, name, {
      value: (key: string, ...args: unknown[]) => run.call(client, key, name, ...args),
      configurable: true,
    });
  }
  return client as ScriptedClient;
}
