/** `error` when it is an Error; anything else thrown, wrapped in one that says what it was. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
