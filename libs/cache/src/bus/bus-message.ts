/** One invalidation on the wire: which instance sent it, for which namespace, and what. */
export interface BusMessage {
  /** Sender id; an instance ignores its own messages. */
  readonly s: string;
  /** The sender's sequence number: 1 for its first message, one more for each after. */
  readonly q?: number;
  /**
   * When the sender sent its previous message (ms on the transport server's clock), so a
   * receiver that first hears the sender can tell whether it missed anything since it listens.
   */
  readonly b?: number;
  /** Namespace. */
  readonly n: string;
  /** Keys written or deleted. */
  readonly k?: readonly string[];
  /** Tags invalidated. */
  readonly t?: readonly string[];
  /** Glob invalidated. */
  readonly p?: string;
  /** The namespace was cleared. */
  readonly c?: true;
}

/** What a namespace announces: a message without its sender's stamps. */
export type Announcement = Omit<BusMessage, 's' | 'q' | 'b'>;

/** Room kept in every payload for the sender's stamps (`s`, `q`, `b`). */
const STAMP_BYTES = 128;

/**
 * `announcement` cut into announcements whose JSON fits `maxBytes` once stamped: a long key or
 * tag list travels in several, and anything that cannot fit (one oversized key, tag or glob)
 * becomes "clear this namespace". Empty when even that does not fit (a namespace name too long
 * for the transport).
 */
export function fitAnnouncement(announcement: Announcement, maxBytes: number): Announcement[] {
  const room = maxBytes - STAMP_BYTES;
  if (bytes(JSON.stringify(announcement)) <= room) return [announcement];
  const clear: Announcement = { n: announcement.n, c: true };
  if (bytes(JSON.stringify(clear)) > room) return [];
  if (announcement.c || announcement.p !== undefined) return [clear];
  const field = announcement.k ? 'k' : 't';
  const items = announcement[field] ?? [];
  const base = bytes(JSON.stringify({ n: announcement.n, [field]: [] }));
  const out: Announcement[] = [];
  let batch: string[] = [];
  let size = base;
  for (const item of items) {
    const itemBytes = bytes(JSON.stringify(item)) + 1;
    if (base + itemBytes > room) return [clear];
    if (size + itemBytes > room) {
      out.push({ n: announcement.n, [field]: batch });
      batch = [];
      size = base;
    }
    batch.push(item);
    size += itemBytes;
  }
  if (batch.length > 0) out.push({ n: announcement.n, [field]: batch });
  return out;
}

/** Parses a payload; undefined when it is not a bus message. */
export function parseMessage(text: string): BusMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  const { s, n, q, b, k, t, p, c } = message as Partial<BusMessage>;
  if (typeof s !== 'string' || typeof n !== 'string') return undefined;
  if (q !== undefined && !(Number.isSafeInteger(q) && q > 0)) return undefined;
  // Anyone who can publish on the channel can send anything: a field of another shape would
  // throw in the receiver, inside the subscriber connection's socket handler.
  if (b !== undefined && !Number.isFinite(b)) return undefined;
  if (!optionalStrings(k) || !optionalStrings(t)) return undefined;
  if (p !== undefined && typeof p !== 'string') return undefined;
  if (c !== undefined && c !== true) return undefined;
  return message as BusMessage;
}

/** True for undefined or an array of strings. */
function optionalStrings(list: unknown): boolean {
  return (
    list === undefined || (Array.isArray(list) && list.every((item) => typeof item === 'string'))
  );
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
