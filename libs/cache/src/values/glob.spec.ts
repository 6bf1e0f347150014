import { globToRegExp } from './glob';

describe('globToRegExp', () => {
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
  ])('%j against %j: %s', (glob, key, matches) => {
    expect(globToRegExp(glob).test(key)).toBe(matches);
  });
});
