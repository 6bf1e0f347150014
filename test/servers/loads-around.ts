import type { GetOrSetOptions } from 'nest-tiered-cache';
import { deferred } from '../../libs/cache/src/testing/namespace-fixtures';
import type { CacheApp } from './cache-app';

/** A change the other instance makes while a load runs. */
export type Change = (other: CacheApp, namespace: string) => Promise<unknown>;

/** Two instances of one service: `a` loads, `b` changes. */
export interface Instances {
  readonly a: CacheApp;
  readonly b: CacheApp;
}

/**
 * Starts a getOrSet of `key` on A whose loader waits, runs `meanwhile` on B once the loader has
 * been called (the load's first read is done), then lets the loader return 'loaded'.
 */
export async function loadAround(
  { a, b }: Instances,
  namespace: string,
  key: string,
  meanwhile: Change,
  options?: GetOrSetOptions,
): Promise<string> {
  const called = deferred<void>();
  const release = deferred<string>();
  const load = a.ns<string>(namespace).getOrSet(
    key,
    () => {
      called.resolve();
      return release.promise;
    },
    options,
  );
  await called.promise;
  await meanwhile(b, namespace);
  release.resolve('loaded');
  return load;
}

/** `loadAround` for a getOrSetMany of `keys`: every key the batch loads loads as 'loaded'. */
export async function loadManyAround(
  { a, b }: Instances,
  namespace: string,
  keys: string[],
  meanwhile: Change,
): Promise<unknown[]> {
  const called = deferred<void>();
  const release = deferred<void>();
  const load = a.ns<string>(namespace).getOrSetMany(keys, async (missing) => {
    called.resolve();
    await release.promise;
    return new Map(missing.map((key) => [key, 'loaded']));
  });
  await called.promise;
  await meanwhile(b, namespace);
  release.resolve();
  return load;
}
