import { globTokens } from '../values/glob';

/** A cache glob as a SQL LIKE pattern (escape `\`): `*` is `%`, `?` is `_`, the rest literal. */
export function globToLike(glob: string): string {
  return globTokens(glob)
    .map((token) =>
      token === '*' ? '%' : token === '?' ? '_' : token.literal.replace(/[%_\\]/g, '\\$&'),
    )
    .join('');
}
