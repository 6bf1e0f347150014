import { InvalidOptionError } from '../errors';
import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    [Infinity, Infinity],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5h', 5_400_000],
  ])('reads %j as %d ms', (input, expected) => {
    expect(parseDuration(input, 'ttl')).toBe(expected);
  });

  it.each([
    ['5 mins'],
    ['2 weeks'],
    ['1w'],
    ['-5s'],
    ['0s'],
    [''],
    ['5'],
    [0],
    [-1],
    [NaN],
    [null],
    [{}],
    ['1y'],
  ])('rejects %j naming the path and value', (input) => {
    expect(() => parseDuration(input, 'namespaces[2].ttl')).toThrow(InvalidOptionError);
    expect(() => parseDuration(input, 'namespaces[2].ttl')).toThrow(
      `namespaces[2].ttl: ${JSON.stringify(input) ?? String(input)} is not a duration`,
    );
  });
});
