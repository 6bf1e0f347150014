import { CircuitOpenError } from '../stack/circuit-errors';
import { compileGlob } from '../values/glob';
import { mastersOf } from './redis-connection';
import type { ScriptedClient } from './redis-script-commands';
import { escapeRedisGlob, toRedisGlob } from './redis-glob';
import { writeCounterKey } from './redis-load-tickets';

/**
 * SCAN + MATCH over every master (keys of one namespace sit on one of them), handing each page of
 * keys to `visit` with the node that holds them.
 */
async function scanMasters(
  client: ScriptedClient,
  match: string,
  visit: (keys: string[], node: ScriptedClient) => void | Promise<void>,
): Promise<void> {
  const masters = mastersOf(client);
  if (masters.length === 0) {
    // A Cluster that lost every node lists none: walking nothing would report a false success.
    throw new CircuitOpenError('Redis Cluster');
  }
  for (const node of masters) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      await visit(keys, node as ScriptedClient);
    } while (cursor !== '0');
  }
}

/** The keys of the namespace at `base` that `glob` matches (the caller's keys, not Redis'). */
export async function keysMatching(
  client: ScriptedClient,
  base: string,
  glob: string,
): Promise<string[]> {
  const prefix = `${base}:v:`;
  const pattern = compileGlob(glob);
  const keys: string[] = [];
  await scanMasters(client, escapeRedisGlob(prefix) + toRedisGlob(glob), (found) => {
    for (const redisKey of found) {
      const key = redisKey.slice(prefix.length);
      // The MATCH already scoped it; the check keeps a server-side surprise from widening it.
      if (redisKey.startsWith(prefix) && pattern.test(key)) keys.push(key);
    }
  });
  return keys;
}

/**
 * Unlinks every key of the namespace at `base` but its locks, its delete marks, its write counter
 * and its epoch; returns how many fresh values it held (see `UNLINK_VALUES_SCRIPT`): an entry past
 * its TTL, kept for its grace period, is absent to every caller, so it goes uncounted. Two walks:
 * the values first, then the tag and index sets, pruned of the entries that went (see
 * `PRUNE_SETS_SCRIPT`), so an entry written meanwhile keeps its sets whichever walk it raced.
 */
export async function unlinkNamespace(client: ScriptedClient, base: string): Promise<number> {
  const now = Date.now();
  const valuePrefix = `${base}:v:`;
  // Locks stay: another instance may be loading under one right now.
  const lockPrefix = `${base}:l:`;
  // Delete marks stay (each expires on its own): a load begun after the epoch moved must still
  // not store over a delete made since, and the walk may reach the mark after that delete.
  const markPrefix = `${base}:w:`;
  // The write counter and epoch stay too: loads begun before the clear store nothing after it.
  const kept = new Set([writeCounterKey(base), `${base}:e`]);
  let count = 0;
  // Through the client, routed by the namespace's hash tag: scripts are defined on it alone.
  await scanMasters(client, `${escapeRedisGlob(valuePrefix)}*`, async (found) => {
    if (found.length > 0) count += await client.cacheUnlinkValues(found[0], now, ...found);
  });
  await scanMasters(client, `${escapeRedisGlob(base)}:*`, async (found) => {
    const others = found.filter(
      (key) =>
        !key.startsWith(valuePrefix) &&
        !key.startsWith(lockPrefix) &&
        !key.startsWith(markPrefix) &&
        !kept.has(key),
    );
    if (others.length > 0) await client.cachePruneSets(others[0], base, ...others);
  });
  return count;
}

/** How many entries the namespace at `base` holds. */
export async function countEntries(client: ScriptedClient, base: string): Promise<number> {
  let entries = 0;
  await scanMasters(client, `${escapeRedisGlob(base)}:v:*`, (found) => {
    entries += found.length;
  });
  return entries;
}
