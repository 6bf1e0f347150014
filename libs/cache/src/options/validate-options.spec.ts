import { validateModuleOptions } from './validate-options';

describe('module options: bus', () => {
  const postgres = { type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/app' };
  const busOf = (options: Record<string, unknown>): boolean => validateModuleOptions(options).bus;

  it('is on by default with Redis, or with a PostgreSQL persistence.dataSource', () => {
    expect(busOf({ redis: { url: 'redis://127.0.0.1:6379' } })).toBe(true);
    expect(busOf({ persistence: { dataSource: postgres } })).toBe(true);
    // A TypeORM DataSource is told by its options, without loading TypeORM.
    expect(busOf({ persistence: { dataSource: { options: postgres } } })).toBe(true);
  });

  it('is off with nothing to carry it: no Redis and no PostgreSQL store', () => {
    expect(busOf({})).toBe(false);
    expect(busOf({ bus: true })).toBe(false);
    expect(busOf({ persistence: { dataSource: { type: 'sqlite', database: ':memory:' } } })).toBe(
      false,
    );
  });

  it('is off when turned off, on either server', () => {
    expect(busOf({ bus: false, redis: { url: 'redis://127.0.0.1:6379' } })).toBe(false);
    expect(busOf({ bus: false, persistence: { dataSource: postgres } })).toBe(false);
  });

  it('names the option when it is not a boolean', () => {
    expect(() => busOf({ bus: 'yes', persistence: { dataSource: postgres } })).toThrow('bus');
  });
});

describe('module options: metrics', () => {
  it('names a prefix or buckets prom-client would refuse, and an unknown option', () => {
    const start = (metrics: unknown) => () => validateModuleOptions({ metrics });
    expect(start({ prefix: 'my cache' })).toThrow(
      /metrics.prefix: "my cache" cannot start a Prometheus metric name/,
    );
    expect(start({ prefix: '1cache_' })).toThrow(/metrics.prefix/);
    expect(start({ buckets: [0.1, 'x'] })).toThrow(/metrics.buckets/);
    expect(start({ buckets: [0.5, 0.1] })).toThrow(/increasing order/);
    expect(start({ prefx: 'shop_' })).toThrow(/metrics.prefx: unknown option/);
    expect(
      validateModuleOptions({ metrics: { prefix: 'shop:cache_', buckets: [0.1, 1] } }).metrics,
    ).toEqual({ prefix: 'shop:cache_', buckets: [0.1, 1] });
  });
});
