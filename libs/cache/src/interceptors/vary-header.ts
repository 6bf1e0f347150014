/**
 * The `Vary` value a cached route sends: the names already there (middleware may have put some:
 * CORS adds `Origin`) followed by the route's own that are missing, each once whatever its case.
 * Replacing the value would drop a name a shared cache needs, and serve one origin's CORS answer,
 * or one encoding, to another. A `*` already there stays alone: it covers every header.
 */
export function mergedVary(existing: unknown, names: readonly string[]): string {
  const present = (Array.isArray(existing) ? existing : [existing])
    .filter((value): value is string => typeof value === 'string')
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (present.includes('*')) return '*';
  const seen = new Set(present.map((name) => name.toLowerCase()));
  const merged = [...present];
  for (const name of names) {
    if (seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    merged.push(name);
  }
  return merged.join(', ');
}
