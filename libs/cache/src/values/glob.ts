import { InvalidOptionError } from '../errors/cache.error';
import { describe } from '../options/option-checks';
import { ANY_POINT, SegmentSearch } from './glob-segment-search';
import { isHigh, isLow, textProblem, utf8Bytes } from './storable-text';
import { MAX_KEY_BYTES } from './validate-key';

/** One piece of a cache glob: `*` (any run), `?` (one character) or a literal character. */
export type GlobToken = '*' | '?' | { readonly literal: string };

/** The longest glob, in UTF-8 bytes: room for any key with every character escaped. */
export const MAX_GLOB_BYTES = 2 * MAX_KEY_BYTES;

/**
 * Reads a cache glob: `*` matches any run of characters (`:` and `/` included), `?` one
 * character, `\` escapes the next one; everything else is literal. Every dialect the cache
 * speaks (Redis MATCH, SQL LIKE, the matcher below) is written from these tokens.
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

/**
 * Throws `InvalidOptionError` unless `glob` is a non-empty, well-formed string without NUL
 * characters, of at most `MAX_GLOB_BYTES` UTF-8 bytes. `label` names the call in the message.
 */
export function assertGlob(glob: unknown, label: string): asserts glob is string {
  if (typeof glob !== 'string' || glob.length === 0) {
    throw new InvalidOptionError(
      `${label}: glob must be a non-empty string, got ${describe(glob)}`,
    );
  }
  if (glob.length > MAX_GLOB_BYTES || utf8Bytes(glob) > MAX_GLOB_BYTES) {
    throw new InvalidOptionError(
      `${label}: glob is ${utf8Bytes(glob)} bytes long (UTF-8), over the limit of ${MAX_GLOB_BYTES}`,
    );
  }
  const problem = textProblem(glob);
  if (problem !== undefined) throw new InvalidOptionError(`${label}: glob ${problem}`);
}

/** `?`: one character (a code point: a surrogate pair counts as one, as in SQL LIKE `_`). */
const ONE = 0;
/** A run between two `*`: literal text and `?`s, matched at one position. */
type Segment = ReadonlyArray<string | typeof ONE>;

/**
 * A compiled cache glob. Matching never backtracks into a regular expression: the glob is cut
 * at its `*`s into segments; the first must match at the start, the last at the end, and each
 * one in between at its leftmost place after the previous one (taking the leftmost place never
 * loses a match, since a segment has a fixed length in characters). Each segment reads the key
 * once from where the previous one ended: a literal one by `indexOf`, one with `?`s by
 * `SegmentSearch` (a step per 32 characters of the segment for each character read), never by
 * trying every place in turn. Whatever the glob (`*a*a*a*c`, `*?a?a?a...b*`), a key costs a few
 * reads of each of its characters.
 */
export class GlobMatcher {
  private readonly segments: Segment[];
  /** For each segment between two `*`s that holds a `?`: its bit-parallel search. */
  private readonly searches: Array<SegmentSearch | undefined>;
  /** How many characters a matching key holds at least: its segments' lengths. */
  private readonly least: number;
  private readonly tailLength: number;

  constructor(readonly glob: string) {
    const segments: Array<Array<string | typeof ONE>> = [[]];
    let current = segments[0];
    for (const token of globTokens(glob)) {
      if (token === '*') segments.push((current = []));
      else if (token === '?') current.push(ONE);
      else if (typeof current[current.length - 1] === 'string') {
        current[current.length - 1] += token.literal;
      } else current.push(token.literal);
    }
    this.segments = segments;
    const lengths = segments.map(lengthOf);
    this.least = lengths.reduce((sum, length) => sum + length, 0);
    this.tailLength = lengths[lengths.length - 1];
    // A glob no key can match (one from the bus is not held to the limits) gets no search
    // tables: their size grows with a segment's length times its distinct characters.
    const searchable = this.least <= MAX_KEY_BYTES;
    this.searches = segments.map((segment, i) =>
      searchable && i > 0 && i < segments.length - 1 && segment.includes(ONE)
        ? new SegmentSearch(pointsOf(segment))
        : undefined,
    );
  }

  /** True when `key` matches the whole glob. */
  test(key: string): boolean {
    // Fewer code units than the glob's fixed characters: no match, and nothing read.
    if (key.length < this.least) return false;
    const segments = this.segments;
    const last = segments.length - 1;
    const head = matchAt(segments[0], key, 0);
    if (head < 0) return false;
    if (last === 0) return head === key.length;
    let at = head;
    for (let i = 1; i < last; i++) {
      const search = this.searches[i];
      at = search ? search.find(key, at) : findFrom(segments[i], key, at);
      if (at < 0) return false;
    }
    const tailStart = backFrom(key, key.length, this.tailLength);
    return tailStart >= at && matchAt(segments[last], key, tailStart) === key.length;
  }
}

/** Compiles `glob` (see `GlobMatcher`). */
export function compileGlob(glob: string): GlobMatcher {
  return new GlobMatcher(glob);
}

/** Where `segment` ends when matched at `at`, or -1 when it does not match there. */
function matchAt(segment: Segment, key: string, at: number): number {
  for (const part of segment) {
    if (part === ONE) {
      if (at >= key.length) return -1;
      at = nextChar(key, at);
    } else if (key.startsWith(part, at)) {
      at += part.length;
    } else return -1;
  }
  return at;
}

/** Where `segment` ends at its leftmost match at or after `from`, or -1. */
function findFrom(segment: Segment, key: string, from: number): number {
  const first = segment[0];
  for (let at = from; at <= key.length; at = nextChar(key, at)) {
    if (typeof first === 'string') {
      at = key.indexOf(first, at);
      if (at < 0) return -1;
    }
    const end = matchAt(segment, key, at);
    if (end >= 0) return end;
    if (at >= key.length) return -1;
  }
  return -1;
}

/** `segment` as code points, `ANY_POINT` for each `?`. */
function pointsOf(segment: Segment): number[] {
  const points: number[] = [];
  for (const part of segment) {
    if (part === ONE) points.push(ANY_POINT);
    else for (const char of part) points.push(char.codePointAt(0) as number);
  }
  return points;
}

/** Length of `segment` in characters (code points). */
function lengthOf(segment: Segment): number {
  let length = 0;
  for (const part of segment) {
    if (part === ONE) length++;
    else for (let i = 0; i < part.length; i = nextChar(part, i)) length++;
  }
  return length;
}

/** The index `count` characters before `end`, or -1 when the key is shorter. */
function backFrom(key: string, end: number, count: number): number {
  let at = end;
  for (let i = 0; i < count; i++) {
    if (at <= 0) return -1;
    const low = key.charCodeAt(at - 1);
    at -= at >= 2 && isLow(low) && isHigh(key.charCodeAt(at - 2)) ? 2 : 1;
  }
  return at;
}

function nextChar(text: string, at: number): number {
  return isHigh(text.charCodeAt(at)) && isLow(text.charCodeAt(at + 1)) ? at + 2 : at + 1;
}
