import { InvalidOptionError } from '../errors';
import { assertGlob, compileGlob, MAX_GLOB_BYTES } from './glob';

describe('compileGlob', () => {
  it.each([
    ['user:*', 'user:1', true],
    ['user:*', 'user:', true],
    ['user:*', 'users:1', false],
    ['*:1', 'a/b:1', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a.c', 'abc', false],
    ['[ab]', '[ab]', true],
    ['[ab]', 'a', false],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['(x)|y', '(x)|y', true],
    ['line*', 'line\nbreak', true],
    ['*', '', true],
    ['**', 'x', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['*ab', 'aab', true],
    ['*ab', 'ab', true],
    ['*ab*ab', 'abab', true],
    ['*aba', 'ab', false],
    ['a*a', 'a', false],
    ['?*?', 'ab', true],
    ['?*?', 'a', false],
    ['*?x?*', 'yxy', true],
    ['*a?c*', 'abxabc', true],
    ['x?y', 'x🚀y', true],
    ['x??y', 'x🚀y', false],
    ['*?', '🚀', true],
    ['*🚀', 'a🚀', true],
    ['?🚀*', 'a🚀b', true],
    ['trailing\\', 'trailing\\', true],
    [`*${'a?'.repeat(40)}*`, `x${'ab'.repeat(40)}y`, true],
    [`*${'a?'.repeat(40)}*`, `x${'ab'.repeat(39)}bby`, false],
    [`*${'?'.repeat(70)}🚀*`, `${'🚀'.repeat(71)}`, true],
    [`*${'?'.repeat(70)}🚀*`, `${'🚀'.repeat(70)}`, false],
  ])('%j against %j: %s', (glob, key, matches) => {
    expect(compileGlob(glob).test(key)).toBe(matches);
  });

  it('agrees with a regular expression on random globs and keys', () => {
    const alphabet = ['a', 'b', '*', '?', '🚀'];
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const pick = (length: number, chars: string[]): string =>
      Array.from({ length }, () => chars[random(chars.length)]).join('');
    for (let i = 0; i < 5000; i++) {
      const glob = pick(random(7), alphabet);
      const key = pick(random(8), ['a', 'b', '🚀']);
      const source = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c)).join('');
      expect([glob, key, compileGlob(glob).test(key)]).toEqual([
        glob,
        key,
        new RegExp(`^${source}$`, 'su').test(key),
      ]);
    }
  });

  it('matches a pathological glob over a long key without blowing up', () => {
    // A backtracking RegExp takes years on this; the segment matcher a few thousand steps.
    const glob = `${'*a'.repeat(40)}*c`;
    expect(compileGlob(glob).test('a'.repeat(1000))).toBe(false);
    expect(compileGlob(glob).test(`${'a'.repeat(1000)}c`)).toBe(true);
  });

  it.each([
    ['one long run of ? and a', `*${'?a'.repeat(400)}b*`],
    ['a run of 601 with one ? in the middle', `*${'a'.repeat(300)}?${'a'.repeat(300)}b*`],
    ['many short runs', `*${`${'a'.repeat(20)}?`.repeat(80)}b*`],
  ])('reads each character of a long key a few times at most: %s', (_case, glob) => {
    // Counted by the string reads the matcher makes, not by the clock: trying the run at each
    // place in turn makes some million of them here; one pass over the key about a thousand.
    const key = `${'a'.repeat(1023)}c`;
    const matcher = compileGlob(glob);
    const reads = (['charCodeAt', 'codePointAt', 'startsWith', 'indexOf'] as const).map((name) =>
      jest.spyOn(String.prototype, name),
    );
    try {
      expect(matcher.test(key)).toBe(false);
      const count = reads.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
      expect(count).toBeLessThanOrEqual(4 * key.length);
    } finally {
      reads.forEach((spy) => spy.mockRestore());
    }
  });

  it('reads nothing of a key too short for the fixed characters of the glob', () => {
    // A glob from the bus is not held to the limits: a run longer than any key never matches.
    const matcher = compileGlob(`*${'?'.repeat(100_000)}*`);
    const reads = (['charCodeAt', 'codePointAt', 'startsWith', 'indexOf'] as const).map((name) =>
      jest.spyOn(String.prototype, name),
    );
    try {
      expect(matcher.test('a'.repeat(1024))).toBe(false);
      expect(reads.reduce((sum, spy) => sum + spy.mock.calls.length, 0)).toBe(0);
    } finally {
      reads.forEach((spy) => spy.mockRestore());
    }
  });
});

describe('assertGlob', () => {
  it.each([
    ['an empty glob', '', /non-empty/],
    ['a NUL', 'a\0', /NUL/],
    ['a lone surrogate', 'a\ud800', /well-formed/],
    ['2049 ASCII characters', 'x'.repeat(MAX_GLOB_BYTES + 1), /over the limit of 2048/],
    ['683 CJK characters', '字'.repeat(683), /2049 bytes long/],
  ])('refuses %s', (_label, glob, message) => {
    expect(() => assertGlob(glob, 'invalidatePattern')).toThrow(InvalidOptionError);
    expect(() => assertGlob(glob, 'invalidatePattern')).toThrow(message);
  });

  it('accepts a glob of exactly the limit', () => {
    expect(() => assertGlob('*'.repeat(MAX_GLOB_BYTES), 'x')).not.toThrow();
  });
});
