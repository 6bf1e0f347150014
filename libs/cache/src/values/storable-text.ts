/** `String.prototype.isWellFormed` (Node 20), which the ES2022 typings do not declare yet. */
interface WellFormedString {
  isWellFormed(): boolean;
}

/**
 * Why `text` cannot be stored on every tier, or undefined when it can. PostgreSQL `text` and
 * `jsonb` refuse the NUL character, and a lone UTF-16 surrogate has no UTF-8 form: Redis would
 * store U+FFFD in its place (so distinct keys collide) and `jsonb` refuses its escape. Both are
 * refused on every tier, so a namespace behaves the same whatever its tiers.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'contains a NUL character (\\u0000)';
  if (!(text as unknown as WellFormedString).isWellFormed()) {
    return 'is not well-formed Unicode (it holds a lone surrogate)';
  }
  return undefined;
}

/** Size of `text` in UTF-8 bytes (what Redis and PostgreSQL store). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The first `length` UTF-16 units of `text`, never ending inside a surrogate pair. */
export function headOf(text: string, length: number): string {
  if (text.length <= length) return text;
  const last = text.charCodeAt(length - 1);
  return text.slice(0, isHigh(last) ? length - 1 : length);
}

/** Whether a UTF-16 unit opens a surrogate pair. */
export function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Whether a UTF-16 unit closes a surrogate pair. */
export function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
