import type { CacheApp } from './cache-app';
import { eventually } from './eventually';

/**
 * The cases every bus transport must pass: each change one instance makes drops what the other
 * holds in memory, and the other then reads what the change left. `apps()` gives the two
 * instances of the running test; their namespace `shared` has memory in front of a shared tier.
 */
export function itDropsTheOtherInstancesMemory(apps: () => { a: CacheApp; b: CacheApp }): void {
  it.each([
    ['delete', (app: CacheApp) => app.ns('shared').delete('k')],
    ['update', (app: CacheApp) => app.ns('shared').update('k', { changed: true })],
    ['invalidateTags', (app: CacheApp) => app.ns('shared').invalidateTags(['t'])],
    ['invalidatePattern', (app: CacheApp) => app.ns('shared').invalidatePattern('k*')],
    ['clear', (app: CacheApp) => app.ns('shared').clear()],
    ['expire', (app: CacheApp) => app.ns('shared').expire('k', '2h')],
  ])('drops what the other instance holds in memory on %s', async (operation, act) => {
    const { a, b } = apps();
    await a.ns('shared').set('k', { original: true }, { tags: ['t'] });
    // A read that races A's own bus message is not kept in memory; read until one is.
    await eventually(async () => {
      expect(await b.ns('shared').get('k')).toEqual({ original: true });
      expect(b.ns('shared').stats().entries).toBe(1);
    });
    await act(a);
    await eventually(() => expect(b.ns('shared').stats().entries).toBe(0));
    const expected = {
      delete: undefined,
      update: { original: true, changed: true },
      invalidateTags: undefined,
      invalidatePattern: undefined,
      clear: undefined,
      expire: { original: true },
    }[operation];
    expect(await b.ns('shared').get('k')).toEqual(expected);
  });
}
