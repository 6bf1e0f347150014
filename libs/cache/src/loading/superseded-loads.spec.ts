import { createNamespaceCache, deferred } from '../testing/namespace-fixtures';

const COUNT = 2000;

describe('an invalidation of many tags over many loads in flight', () => {
  it('asks each load about its own tags, never searching the invalidated list', async () => {
    const cache = createNamespaceCache({ maxEntries: COUNT * 2 });
    const load = deferred<string>();
    const tags = Array.from({ length: COUNT }, (_unused, i) => `tag-${i}`);
    const loads = tags.map((tag, i) =>
      cache.getOrSet(`k${i}`, () => load.promise, { tags: [tag] }),
    );
    // Counted, not timed: a search of the list for each load reads it some million times.
    const searches = jest.spyOn(Array.prototype, 'includes');
    try {
      await cache.invalidateTags(tags);
      expect(searches.mock.calls.length).toBeLessThan(COUNT / 10);
    } finally {
      searches.mockRestore();
    }
    load.resolve('v');
    expect(new Set(await Promise.all(loads))).toEqual(new Set(['v']));
    // Superseded, the loads stored nothing.
    expect(await cache.getMany(['k0', `k${COUNT - 1}`])).toEqual([undefined, undefined]);
  });
});
