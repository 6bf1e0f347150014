/** A response as the route cache stores it. */
export interface CachedResponse {
  readonly status: number;
  readonly body: unknown;
  /** Response headers given back on a hit (content type). */
  readonly headers: Readonly<Record<string, string>>;
}

/** True when `value` has the shape of a `CachedResponse`. */
export function isCachedResponse(value: unknown): value is CachedResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CachedResponse).status === 'number' &&
    'body' in value &&
    typeof (value as CachedResponse).headers === 'object'
  );
}
