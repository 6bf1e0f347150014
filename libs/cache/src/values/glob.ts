/** One piece of a cache glob: `*` (any run), `?` (one character) or a literal character. */
export type GlobToken = '*' | '?' | { readonly literal: string };

/**
 * Reads a cache glob: `*` matches any run of characters (`:` and `/` included), `?` one
 * character, `\` escapes the next one; everything else is literal. Every dialect the cache
 * speaks (RegExp, Redis MATCH, SQL LIKE) is written from these tokens.
 */
export function globTokens(glob: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*' || char === '?') tokens.push(char);
    else if (char === '\\' && i + 1 < glob.length) tokens.push({ literal: glob[++i] });
    else tokens.push({ literal: char });
  }
  return tokens;
}

/** A cache glob as a RegExp anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  const source = globTokens(glob)
    .map((token) =>
      token === '*' ? '[\\s\\S]*' : token === '?' ? '[\\s\\S]' : escapeRegExp(token.literal),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
