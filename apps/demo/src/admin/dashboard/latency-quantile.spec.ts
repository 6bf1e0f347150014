import { quantile, readBuckets } from './latency-quantile';

describe('quantile of a histogram between two readings', () => {
  const buckets = (counts: Array<[number, number]>) => new Map(counts);

  it('interpolates inside the bucket that holds the rank, over the interval only', () => {
    const before = buckets([
      [0.001, 100],
      [0.01, 100],
      [Infinity, 100],
    ]);
    // In the interval: 50 reads under 1 ms, 50 between 1 and 10 ms.
    const now = buckets([
      [0.001, 150],
      [0.01, 200],
      [Infinity, 200],
    ]);
    expect(quantile(0.5, before, now)).toBeCloseTo(0.001);
    expect(quantile(0.99, before, now)).toBeCloseTo(0.001 + 0.009 * (49 / 50));
    expect(quantile(0.25, before, now)).toBeCloseTo(0.0005);
  });

  it('is undefined with nothing counted, and the top bound for the +Inf bucket', () => {
    const same = buckets([
      [0.001, 3],
      [Infinity, 3],
    ]);
    expect(quantile(0.5, same, same)).toBeUndefined();
    expect(
      quantile(
        0.99,
        undefined,
        buckets([
          [0.001, 0],
          [Infinity, 4],
        ]),
      ),
    ).toBe(0.001);
  });

  it('sums the read buckets of every tier per namespace, ignoring writes', () => {
    const read = readBuckets([
      {
        labels: { namespace: 'a', tier: 'memory', operation: 'get', le: 0.001 },
        value: 2,
        metricName: 'x_bucket',
      },
      {
        labels: { namespace: 'a', tier: 'redis', operation: 'get', le: 0.001 },
        value: 3,
        metricName: 'x_bucket',
      },
      {
        labels: { namespace: 'a', tier: 'redis', operation: 'get', le: '+Inf' },
        value: 5,
        metricName: 'x_bucket',
      },
      {
        labels: { namespace: 'a', tier: 'redis', operation: 'set', le: 0.001 },
        value: 7,
        metricName: 'x_bucket',
      },
      {
        labels: { namespace: 'a', tier: 'redis', operation: 'get' },
        value: 9,
        metricName: 'x_count',
      },
    ]);
    expect(read).toEqual(
      new Map([
        [
          'a',
          new Map([
            [0.001, 5],
            [Infinity, 5],
          ]),
        ],
      ]),
    );
  });
});
