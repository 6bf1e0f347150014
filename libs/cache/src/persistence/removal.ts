import { compileGlob } from '../values/glob';
import type { CacheEntry } from '../tiers/cache-entry';

/**
 * A removal to mirror in the table: keys, every key of some tags or of a glob, or everything.
 * `held`: the keys memory alone held and the rule took; their rows go too, whatever tags they
 * were stored with.
 */
export type Removal =
  | { readonly keys: readonly string[] }
  | { readonly tags: readonly string[]; readonly held?: readonly string[] }
  | { readonly glob: string; readonly held?: readonly string[] }
  | { readonly all: true };

/** Whether a removal takes `key` (whose dirty state is `entry`; null: a pending delete). */
export function covers(removal: Removal, key: string, entry: CacheEntry | null): boolean {
  if ('all' in removal) return true;
  if ('keys' in removal) return removal.keys.includes(key);
  // Its row goes whatever it was stored with, so a write made since must be written back.
  if (removal.held?.includes(key)) return true;
  if ('tags' in removal) return entry?.tags?.some((tag) => removal.tags.includes(tag)) ?? false;
  return compileGlob(removal.glob).test(key);
}
