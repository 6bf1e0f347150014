import { headOf } from '../values/storable-text';

/**
 * The most characters (UTF-16 units) a log line shows of one piece of outside text: a key, a
 * tag, a namespace name. The rest is counted, not shown.
 */
export const MAX_LOGGED_TEXT = 200;

/** The most characters a log line shows of an error message. */
export const MAX_LOGGED_MESSAGE = 500;

/**
 * What could forge or hide a log line: C0 controls (newlines, ESC of ANSI sequences), DEL, C1
 * controls (8-bit CSI), the Unicode line and paragraph separators, and bidirectional overrides.
 */
const UNSAFE_CHARS = String.raw`\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069`;
const UNSAFE = new RegExp(`[${UNSAFE_CHARS}]`, 'g');
const UNSAFE_OR_QUOTE = new RegExp(`[${UNSAFE_CHARS}"\\\\]`, 'g');

const SHORT: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '"': '\\"',
  '\\': '\\\\',
};

function escape(char: string): string {
  return SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` cut to `max` characters (never inside a surrogate pair), and how many were cut. */
function bounded(text: string, max: number): [string, string] {
  const shown = headOf(text, max);
  return [shown, shown.length < text.length ? `…(+${text.length - shown.length} chars)` : ''];
}

/**
 * `text` quoted as a JSON string literal, on one line, at most `max` characters of it shown:
 * how a log line names a key, tag or name it did not choose, so that no value can end the line,
 * color the terminal or pass for a line of its own.
 */
export function quoted(text: string, max: number = MAX_LOGGED_TEXT): string {
  const [shown, cut] = bounded(text, max);
  return `"${shown.replace(UNSAFE_OR_QUOTE, escape)}"${cut}`;
}

/**
 * The message of `error` (anything thrown) on one line, at most `max` characters: messages of
 * Redis, PostgreSQL and application code may echo the input that caused them.
 */
export function loggedMessage(error: unknown, max: number = MAX_LOGGED_MESSAGE): string {
  const text = error instanceof Error ? error.message : String(error);
  const [shown, cut] = bounded(text, max);
  return `${shown.replace(UNSAFE, escape)}${cut}`;
}
