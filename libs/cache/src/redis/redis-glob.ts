import { globTokens } from '../values/glob';

/**
 * A cache glob as a Redis MATCH pattern in which only its wildcards are special: `[`, `]` and
 * `\` in keys are escaped, so a pattern can never widen beyond its namespace. `?` goes out as
 * `*` because Redis counts bytes, not characters; the caller re-checks every key against the
 * exact glob.
 */
export function toRedisGlob(glob: string): string {
  return globTokens(glob)
    .map((token) => (token === '*' || token === '?' ? '*' : escapeRedisGlob(token.literal)))
    .join('');
}

/** Escapes every character Redis treats as special in a MATCH pattern. */
export function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
