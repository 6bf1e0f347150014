import { parseGetOrSetOptions } from './call-options';

describe('getOrSet options: lock', () => {
  const lockOf = (lock: unknown): { ttl: number; wait: number } | undefined =>
    parseGetOrSetOptions({ lock } as never).lock;

  it('takes the defaults, and waits no longer than a shorter ttl by default', () => {
    expect(lockOf(true)).toEqual({ ttl: 10_000, wait: 5_000 });
    expect(lockOf({ ttl: '2s' })).toEqual({ ttl: 2_000, wait: 2_000 });
    expect(lockOf({ ttl: '1m', wait: '1m' })).toEqual({ ttl: 60_000, wait: 60_000 });
  });

  it('refuses a wait over one minute, naming the option and the bound', () => {
    expect(() => lockOf({ ttl: '2h', wait: '1h' })).toThrow(
      /^options\.lock\.wait: "1h" is longer than the longest wait for a lock \(1m\)/,
    );
    expect(() => lockOf({ ttl: '2m', wait: 60_001 })).toThrow(/options\.lock\.wait: 60001 /);
  });

  it("refuses a wait longer than the lock's own ttl, naming both", () => {
    expect(() => lockOf({ wait: '30s' })).toThrow(
      /^options\.lock\.wait: "30s" is longer than options\.lock\.ttl \(10000 ms\)/,
    );
    expect(() => lockOf({ ttl: 1000, wait: 1001 })).toThrow(/options\.lock\.wait/);
  });
});
