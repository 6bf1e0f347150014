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

/** Whether a removal takes a key (whose dirty state is `entry`; null: a pending delete). */
export type Coverage = (key: string, entry: CacheEntry | null) => boolean;

/**
 * What `removal` takes, ready to ask of many keys: its keys, tags and held keys as sets, its glob
 * compiled once. A removal of thousands of keys or tags asked of thousands of dirty entries
 * would otherwise cost their product.
 */
export function coverage(removal: Removal): Coverage {
  if ('all' in removal) return () => true;
  if ('keys' in removal) {
    const keys = new Set(removal.keys);
    return (key) => keys.has(key);
  }
  // Its row goes whatever it was stored with, so a write made since must be written back.
  const held = new Set(removal.held);
  if ('tags' in removal) {
    const tags = new Set(removal.tags);
    return (key, entry) => held.has(key) || (entry?.tags?.some((tag) => tags.has(tag)) ?? false);
  }
  const pattern = compileGlob(removal.glob);
  return (key) => held.has(key) || pattern.test(key);
}
