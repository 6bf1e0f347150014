import type { ParsedGetOrSetOptions, ParsedSetOptions } from '../options/call-options';
import type { NamespaceSettings } from '../options/resolved-options';
import type { CacheEntry } from '../tiers/cache-entry';
import { snapshotValue } from '../values';

/**
 * The entry a write stores: a frozen snapshot of `value` (checked against the namespace's
 * value limit, named `label` in errors) with the expiry, grace and metadata of `options`, or the
 * namespace's where they say nothing.
 */
export function createEntry(
  settings: NamespaceSettings,
  value: unknown,
  options: ParsedSetOptions,
  label = 'value',
): CacheEntry {
  const snapshot = snapshotValue(value, label, settings.maxValueBytes);
  const ttl = options.ttl ?? settings.ttl;
  const expiresAt = ttl === Infinity ? Infinity : Date.now() + ttl;
  const grace = (options as ParsedGetOrSetOptions).grace ?? settings.grace;
  // One literal with every field, so all entries share one shape (set is a hot path).
  return {
    value: snapshot.value,
    size: snapshot.size,
    expiresAt,
    graceUntil: grace > 0 && expiresAt !== Infinity ? expiresAt + grace : undefined,
    persistence: options.persistence ?? settings.persistence,
    tags: options.tags && options.tags.length > 0 ? options.tags : undefined,
    indexes: options.indexes,
  };
}
