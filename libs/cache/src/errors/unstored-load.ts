/** Where the value of a load that was not stored rides on the error that stopped it. */
const LOADED = Symbol('nest-tiered-cache:unstored load');

/**
 * Marks `error`, which stopped what a loader returned from being stored (the cache refused the
 * value, or a backend failed in strict mode), with that value: every caller that shared the load
 * gets this error, and one that can serve the value without the cache (`@Cacheable`) takes it
 * from here instead of running its loader again. The first mark stays.
 */
export function markUnstoredLoad(error: unknown, loaded: unknown): void {
  if (typeof error !== 'object' || error === null || Object.isFrozen(error)) return;
  if (Object.prototype.hasOwnProperty.call(error, LOADED)) return;
  Object.defineProperty(error, LOADED, { value: { loaded }, enumerable: false });
}

/** The value a load produced that was not stored, when `error` is what stopped it. */
export function unstoredLoad(error: unknown): { readonly loaded: unknown } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { [LOADED]?: { loaded: unknown } })[LOADED];
}
