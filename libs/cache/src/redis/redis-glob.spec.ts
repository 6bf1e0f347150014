import { toRedisGlob } from './redis-glob';

describe('toRedisGlob', () => {
  it.each([
    ['user:*', 'user:*'],
    ['a?c', 'a*c'],
    ['[x]\\*', '\\[x\\]\\*'],
    ['**?*a***', '*a*'],
    [`${'*a'.repeat(3)}*c`, '*a*a*a*c'],
  ])('%j goes out as %j', (glob, pattern) => {
    expect(toRedisGlob(glob)).toBe(pattern);
  });
});
