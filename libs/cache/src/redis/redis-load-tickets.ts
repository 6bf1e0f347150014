import { createHash } from 'node:crypto';
import type { CacheEntry } from '../tiers/cache-entry';
import type { LoadTicket } from '../tiers/cache-tier.interface';
import type { ScriptedClient } from './redis-script-commands';
import { encodeEntry } from './redis-entry';
import { LOAD_WINDOW_MS } from '../tiers/load-window';

/** The namespace's write counter when a load began, and the text it read then. */
interface RedisTicket extends LoadTicket {
  readonly counter: string;
  readonly text: string | null;
}

/**
 * The key of the write counter of the namespace at `base`: every removal moves it, and a load
 * reads it with the value (one MGET) to be issued its ticket.
 */
export function writeCounterKey(base: string): string {
  return `${base}:n`;
}

/** The ticket of `text`, read at `issuedAt` with the write counter (absent: never moved). */
export function issueTicket(
  issuedAt: number,
  counter: string | null | undefined,
  text: string | null,
): LoadTicket {
  const ticket: RedisTicket = { issuedAt, counter: counter ?? '0', text };
  return ticket;
}

/**
 * A load's store (`SET_UNLESS_CHANGED_SCRIPT`): `entry` is stored under `vkey` only if no delete
 * mark or namespace epoch is newer than the ticket's counter and the key still holds the text the
 * load read. A load that outlasted `LOAD_WINDOW_MS` stores nothing. True when stored.
 */
export async function storeUnlessChanged(
  client: ScriptedClient,
  vkey: string,
  base: string,
  key: string,
  entry: CacheEntry,
  ticket: LoadTicket,
): Promise<boolean> {
  const { counter, text: seen } = ticket as RedisTicket;
  // Delete marks outlive the load window, not longer loads: those store nothing.
  if (Date.now() - ticket.issuedAt > LOAD_WINDOW_MS) return false;
  const digest = seen === null ? '' : createHash('sha1').update(seen).digest('hex');
  const { text, ttl, refs } = encodeEntry(entry, Date.now());
  const stored = await client.cacheSetUnlessChanged(
    vkey,
    base,
    key,
    text,
    ttl,
    refs,
    counter,
    digest,
  );
  return stored === 1;
}
