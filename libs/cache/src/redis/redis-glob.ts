import { globTokens } from '../values/glob';

/**
 * A cache glob as a Redis MATCH pattern in which only its wildcards are special: `[`, `]` and
 * `\` in keys are escaped, so a pattern can never widen beyond its namespace. `?` goes out as
 * `*` because Redis counts bytes, not characters, and a run of wildcards as a single `*` (the
 * same set of keys, and no work for Redis's recursive matcher); the caller re-checks every key
 * against the exact glob.
 */
export function toRedisGlob(glob: string): string {
  let pattern = '';
  let wild = false;
  for (const token of globTokens(glob)) {
    if (token === '*' || token === '?') {
      if (!wild) pattern += '*';
      wild = true;
    } else {
      pattern += escapeRedisGlob(token.literal);
      wild = false;
    }
  }
  return pattern;
}

/** Escapes every character Redis treats as special in a MATCH pattern. */
export function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
