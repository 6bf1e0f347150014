import type { RedisClient } from './redis-connection';
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
  cacheSetIfAbsent(...args: Parameters<ScriptCommands['cacheSetIfAbsent']>): ScriptedPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/**
 * Defines the cache's scripts as commands on `client`. ioredis sends a script by its body the
 * first time on each connection and by SHA after, so a script keeps its place among the other
 * commands even on a server that does not hold it yet (see redis-script-order e2e).
 */
export function defineScripts(client: RedisClient): ScriptedClient {
  for (const [name, script] of Object.entries(REDIS_SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script);
  }
  return client as ScriptedClient;
}
