/**
 * True for an object that holds named fields: not null, an array or a Date. What `update()`
 * merges into and what a stored row's metadata must be.
 */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}
