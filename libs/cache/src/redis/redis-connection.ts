import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { loadPeer } from '../optional-peer';
import { REDIS_SCRIPTS } from './redis-scripts';

/** ioredis, an optional peer: required the first time a Redis option is used. */
export function ioredis(): typeof import('ioredis') {
  return loadPeer<typeof import('ioredis')>('ioredis', 'redis');
}

/** A standalone, Sentinel or Cluster client. */
export type RedisClient = Redis | Cluster;

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
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** Defines the cache's scripts on `client` (EVALSHA, falling back to EVAL). */
export function defineScripts(client: RedisClient): ScriptedClient {
  for (const [name, script] of Object.entries(REDIS_SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, script);
  }
  return client as ScriptedClient;
}

/** Every master that may hold keys (one node for a standalone or Sentinel client). */
export function mastersOf(client: RedisClient): Redis[] {
  // Told by shape, not `instanceof`: the application's client may come from another copy of
  // ioredis than the one this package resolves.
  return typeof (client as Partial<Cluster>).nodes === 'function'
    ? (client as Cluster).nodes('master')
    : [client as Redis];
}

/**
 * Logs connection loss and recovery once per transition, never per command.
 * Returns a function that stops listening.
 */
export function logConnectionState(client: RedisClient, logger: Logger, label: string): () => void {
  let up = client.status === 'ready';
  const onReady = (): void => {
    if (!up) logger.log(`${label}: connected`);
    up = true;
  };
  const onDown = (): void => {
    if (up) logger.warn(`${label}: connection lost; retrying`);
    up = false;
  };
  const onError = (error: Error): void => {
    if (up) logger.warn(`${label}: ${error.message}`);
  };
  client.on('ready', onReady);
  client.on('close', onDown);
  client.on('error', onError);
  return () => {
    client.off('ready', onReady);
    client.off('close', onDown);
    client.off('error', onError);
  };
}
