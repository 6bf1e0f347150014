import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { loadPeer } from '../optional-peer';
import { loggedMessage } from '../logging/log-text';

/** ioredis, an optional peer: required the first time a Redis option is used. */
export function ioredis(): typeof import('ioredis') {
  return loadPeer<typeof import('ioredis')>('ioredis', 'redis');
}

/** A standalone, Sentinel or Cluster client. */
export type RedisClient = Redis | Cluster;

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
    if (up) logger.warn(`${label}: ${loggedMessage(error)}`);
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
