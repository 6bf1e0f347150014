import { mergedVary } from './vary-header';

describe('mergedVary', () => {
  it("adds the route's names after those already there, each once whatever its case", () => {
    expect(mergedVary(undefined, ['Authorization'])).toBe('Authorization');
    expect(mergedVary('Origin', ['Authorization'])).toBe('Origin, Authorization');
    expect(mergedVary(['Origin', 'accept-encoding'], ['Accept-Encoding', 'X-Tenant'])).toBe(
      'Origin, accept-encoding, X-Tenant',
    );
    expect(mergedVary(' authorization ,', ['Authorization'])).toBe('authorization');
  });

  it('keeps a star alone: it already covers every header', () => {
    expect(mergedVary('Origin, *', ['Authorization'])).toBe('*');
  });
});
