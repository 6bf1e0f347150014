import { InvalidValueError } from '../errors/cache.error';
import { PERSISTENCE_LEVELS, type PersistenceLevel } from '../options/persistence-level';
import { endOf, type CacheEntry, type EntryTemplate } from '../tiers/cache-entry';
import { plainEntry } from '../tiers/plain-entry';
import { decodeValue, encodeValue } from '../values/value-codec';
import { freezeDecoded } from '../values/freeze-decoded';

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
  const ttl = ttlOf(endOf(template), now);
  if (template.tags === undefined && template.indexes === undefined) {
    return {
      head: `${expiryLine(template)}\n${plainMetaText(template.persistence)}\n`,
      ttl,
      refs: '[]',
    };
  }
  const refs = [
    ...(template.tags ?? []).map(tagRef),
    ...Object.entries(template.indexes ?? {}).map(([name, value]) => indexRef(name, value)),
  ];
  const meta: StoredMeta = { p: template.persistence, r: refs };
  if (template.tags) meta.t = [...template.tags];
  if (template.indexes) meta.i = { ...template.indexes };
  return {
    head: `${expiryLine(template)}\n${JSON.stringify(meta)}\n`,
    ttl,
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
  // The first line is `expiresAt` or `expiresAt,graceUntil`, or empty (never expires): read in
  // place (a read's hot path; the value after it may be long and hold commas of its own).
  const comma = indexWithin(text, ',', first);
  const expiresAt = first === 0 ? Infinity : numberAt(text, 0, comma < 0 ? first : comma);
  const graceUntil = comma < 0 ? undefined : numberAt(text, comma + 1, first);
  if (Number.isNaN(expiresAt) || Number.isNaN(graceUntil)) {
    throw new InvalidValueError('stored entry metadata is malformed');
  }
  const valueText = text.slice(second + 1);
  const value = freezeDecoded(decodeValue(valueText));
  const plain = plainMetaAt(text, first + 1, second);
  // The two shapes `createEntry` builds.
  if (plain !== undefined && graceUntil === undefined) {
    return plainEntry(value, valueText.length, expiresAt, plain);
  }
  const meta: Partial<StoredMeta> =
    plain === undefined ? parseMeta(text.slice(first + 1, second)) : { p: plain };
  return {
    value,
    size: valueText.length,
    expiresAt,
    persistence: meta.p as PersistenceLevel,
    graceUntil,
    tags: Array.isArray(meta.t) ? meta.t : undefined,
    indexes: meta.i && typeof meta.i === 'object' ? meta.i : undefined,
  };
}

/**
 * The number written between `start` and `end`: digits are read in place (an expiry is a whole
 * number of ms, exact in a double), anything else as `Number` reads it; NaN when empty.
 */
function numberAt(text: string, start: number, end: number): number {
  if (end <= start) return NaN;
  // Past 15 digits a sum of digits is no longer exact.
  if (end - start > 15) return Number(text.slice(start, end));
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text.slice(start, end));
    value = value * 10 + digit;
  }
  return value;
}

/** The first index of `char` (one UTF-16 unit) in `text` before `end`, or -1. */
function indexWithin(text: string, char: string, end: number): number {
  const code = char.charCodeAt(0);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === code) return i;
  return -1;
}

/**
 * Metadata without tags or indexes is one of a handful of strings (one per persistence level),
 * met on nearly every write and read: written from this table, and recognised in place.
 */
const PLAIN_META_TEXT: readonly string[] = PERSISTENCE_LEVELS.map((level) =>
  JSON.stringify({ p: level, r: [] }),
);

function plainMetaText(level: PersistenceLevel): string {
  return PLAIN_META_TEXT[PERSISTENCE_LEVELS.indexOf(level)] ?? JSON.stringify({ p: level, r: [] });
}

/** The persistence level when `text` holds plain metadata between `start` and `end`. */
function plainMetaAt(text: string, start: number, end: number): PersistenceLevel | undefined {
  for (let i = 0; i < PLAIN_META_TEXT.length; i++) {
    const meta = PLAIN_META_TEXT[i];
    if (meta.length === end - start && text.startsWith(meta, start)) return PERSISTENCE_LEVELS[i];
  }
  return undefined;
}

function parseMeta(text: string): StoredMeta {
  let meta: StoredMeta;
  try {
    meta = JSON.parse(text) as StoredMeta;
  } catch {
    throw new InvalidValueError('stored entry metadata is malformed');
  }
  if (meta === null || typeof meta !== 'object' || !PERSISTENCE_LEVELS.includes(meta.p)) {
    throw new InvalidValueError('stored entry metadata is malformed');
  }
  return meta;
}
