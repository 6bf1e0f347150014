import { InvalidValueError } from '../errors';
import { PERSISTENCE_LEVELS, type PersistenceLevel } from '../options/persistence-level';
import { endOf, type CacheEntry, type EntryTemplate } from '../tiers/cache-entry';
import { decodeValue, encodeValue } from '../values/value-codec';
import { freezeDecoded } from '../values/snapshot-value';

/** How an entry travels to Redis: its text, its PX in ms (-1 = none) and its reference sets. */
export interface EncodedEntry {
  readonly text: string;
  readonly ttl: number;
  readonly refs: string;
}

interface StoredMeta {
  p: PersistenceLevel;
  t?: string[];
  i?: Record<string, string>;
  /** Sets this key belongs to, relative to the namespace base: `t:<tag>`, `i:<index>`. */
  r: string[];
}

/** The name of the set that holds the keys of index `name` = `value`, relative to the base. */
export function indexRef(name: string, value: string): string {
  return `i:${JSON.stringify([name, value])}`;
}

/** The name of the set that holds the keys carrying `tag`, relative to the base. */
export function tagRef(tag: string): string {
  return `t:${tag}`;
}

/** The head of an entry: everything before its value. */
export function encodeHead(
  template: EntryTemplate,
  now: number,
): Omit<EncodedEntry, 'text'> & { head: string } {
  const refs = [
    ...(template.tags ?? []).map(tagRef),
    ...Object.entries(template.indexes ?? {}).map(([name, value]) => indexRef(name, value)),
  ];
  const meta: StoredMeta = { p: template.persistence, r: refs };
  if (template.tags) meta.t = [...template.tags];
  if (template.indexes) meta.i = { ...template.indexes };
  const expires = expiryLine(template);
  return {
    head: `${expires}\n${JSON.stringify(meta)}\n`,
    ttl: ttlOf(endOf(template), now),
    refs: JSON.stringify(refs),
  };
}

/** Encodes an entry for the SET script. */
export function encodeEntry(entry: CacheEntry, now: number): EncodedEntry {
  const { head, ttl, refs } = encodeHead(entry, now);
  return { text: head + encodeValue(entry.value), ttl, refs };
}

/** The first line of an entry: `expiresAt`, and `,graceUntil` when it has a grace period. */
function expiryLine(template: EntryTemplate): string {
  if (template.expiresAt === Infinity) return '';
  return template.graceUntil === undefined
    ? String(template.expiresAt)
    : `${template.expiresAt},${template.graceUntil}`;
}

/** Milliseconds until `expiresAt` for PX, at least 1; -1 when it never expires. */
export function ttlOf(expiresAt: number, now: number): number {
  return expiresAt === Infinity ? -1 : Math.max(1, Math.ceil(expiresAt - now));
}

/** Decodes what the scripts stored; throws `InvalidValueError` on anything malformed. */
export function decodeEntry(text: string): CacheEntry {
  const first = text.indexOf('\n');
  const second = first < 0 ? -1 : text.indexOf('\n', first + 1);
  if (second < 0) throw new InvalidValueError('stored entry is malformed');
  const comma = text.indexOf(',');
  const graced = comma >= 0 && comma < first;
  const expiresAt = first === 0 ? Infinity : Number(text.slice(0, graced ? comma : first));
  const graceUntil = graced ? Number(text.slice(comma + 1, first)) : undefined;
  const meta = parseMeta(text.slice(first + 1, second));
  if (Number.isNaN(expiresAt) || Number.isNaN(graceUntil)) {
    throw new InvalidValueError('stored entry metadata is malformed');
  }
  const valueText = text.slice(second + 1);
  return {
    value: freezeDecoded(decodeValue(valueText)),
    size: valueText.length,
    expiresAt,
    ...(graceUntil !== undefined && { graceUntil }),
    persistence: meta.p,
    tags: Array.isArray(meta.t) ? meta.t : undefined,
    indexes: meta.i && typeof meta.i === 'object' ? meta.i : undefined,
  };
}

/**
 * Metadata without tags or indexes is one of a handful of strings (one per persistence level),
 * met on nearly every read: parsed once, then shared (it is never mutated).
 */
const PLAIN_META = new Map<string, StoredMeta>();

function parseMeta(text: string): StoredMeta {
  const known = PLAIN_META.get(text);
  if (known) return known;
  let meta: StoredMeta;
  try {
    meta = JSON.parse(text) as StoredMeta;
  } catch {
    throw new InvalidValueError('stored entry metadata is malformed');
  }
  if (meta === null || typeof meta !== 'object' || !PERSISTENCE_LEVELS.includes(meta.p)) {
    throw new InvalidValueError('stored entry metadata is malformed');
  }
  if (meta.t === undefined && meta.i === undefined && PLAIN_META.size < 16)
    PLAIN_META.set(text, Object.freeze(meta));
  return meta;
}
