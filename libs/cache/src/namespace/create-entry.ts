import type { ParsedGetOrSetOptions, ParsedSetOptions } from '../options/call-options';
import type { NamespaceSettings } from '../options/resolved-options';
import type { CacheEntry } from '../tiers/cache-entry';
import { plainEntry } from '../tiers/plain-entry';
import { snapshotValue } from '../values/snapshot-value';

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
  const persistence = options.persistence ?? settings.persistence;
  const tags = options.tags && options.tags.length > 0 ? options.tags : undefined;
  const graceUntil = grace > 0 && expiresAt !== Infinity ? expiresAt + grace : undefined;
  // Two shapes (set is a hot path): the plain one, most entries, compact and without room for
  // metadata it does not have; the other a literal always with the same fields.
  if (graceUntil === undefined && tags === undefined && options.indexes === undefined) {
    return plainEntry(snapshot.value, snapshot.size, expiresAt, persistence);
  }
  return {
    value: snapshot.value,
    size: snapshot.size,
    expiresAt,
    persistence,
    graceUntil,
    tags,
    indexes: options.indexes,
  };
}
