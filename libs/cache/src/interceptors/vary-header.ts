import { joined } from '../decorators/cache-options.decorator';

/**
 * The `Vary` value a cached route sends: the names already there (middleware may have put some:
 * CORS adds `Origin`) followed by the route's own that are missing, each once whatever its case.
 * Replacing the value would drop a name a shared cache needs, and serve one origin's CORS answer,
 * or one encoding, to another. A `*` already there stays alone: it covers every header.
 */
export function mergedVary(existing: unknown, names: readonly string[]): string {
  // The common case: nothing there yet, and the route's names are each once already.
  if (existing === undefined) return names.join(', ');
  const present = (Array.isArray(existing) ? existing : [existing])
    .filter((value): value is string => typeof value === 'string')
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (present.includes('*')) return '*';
  return (joined([...present, ...names], true) ?? []).join(', ');
}
