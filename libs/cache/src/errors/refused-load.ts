/** Where a refused load's value rides on the error that refused it. */
const LOADED = Symbol('nest-tiered-cache:refused load');

/**
 * Marks `error`, the cache's refusal to store what a loader returned, with that value: every
 * caller that shared the load gets this error, and one that can serve the value without the
 * cache (`@Cacheable`) takes it from here instead of running its loader again.
 */
export function markRefusedLoad(error: unknown, loaded: unknown): void {
  if (typeof error === 'object' && error !== null && !Object.isFrozen(error)) {
    Object.defineProperty(error, LOADED, { value: { loaded }, enumerable: false });
  }
}

/** The value a load produced that the cache refused to store, when `error` is that refusal. */
export function refusedLoad(error: unknown): { readonly loaded: unknown } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { [LOADED]?: { loaded: unknown } })[LOADED];
}
