import { Registry } from 'prom-client';
import { LocalHistogram } from './local-histogram';
import { MEMORY_HIT_SAMPLE, NamespaceMetrics } from './namespace-metrics';

describe('NamespaceMetrics', () => {
  let registry: Registry;
  let metrics: NamespaceMetrics;
  let clock: jest.SpyInstance<number, []>;
  let now: number;

  beforeEach(() => {
    registry = new Registry();
    const operations = new LocalHistogram('op_seconds', 'ops', [0.001, 0.01, 0.1]);
    const loaders = new LocalHistogram('loader_seconds', 'loaders', [1]);
    operations.register(registry);
    loaders.register(registry);
    metrics = new NamespaceMetrics('users', operations, loaders);
    // Every reading of the clock moves it on by 2 ms, so a timed call measures 2 ms.
    now = 0;
    clock = jest.spyOn(performance, 'now').mockImplementation(() => (now += 2));
  });
  afterEach(() => clock.mockRestore());

  const series = async (name: string): Promise<string[]> =>
    (await registry.metrics()).split('\n').filter((row) => row.startsWith(name));

  const memoryHits = (count: number): void => {
    for (let i = 0; i < count; i++) metrics.memoryHit(metrics.readStart());
  };

  it('times one memory hit in MEMORY_HIT_SAMPLE and counts every one, with the last latency', async () => {
    memoryHits(MEMORY_HIT_SAMPLE * 2);
    // Two timed hits, two clock readings each.
    expect(clock).toHaveBeenCalledTimes(4);
    const count = MEMORY_HIT_SAMPLE * 2;
    expect(await series('op_seconds_bucket')).toEqual([
      `op_seconds_bucket{namespace="users",tier="memory",operation="get",le="0.001"} 0`,
      `op_seconds_bucket{namespace="users",tier="memory",operation="get",le="0.01"} ${count}`,
      `op_seconds_bucket{namespace="users",tier="memory",operation="get",le="0.1"} ${count}`,
      `op_seconds_bucket{namespace="users",tier="memory",operation="get",le="+Inf"} ${count}`,
    ]);
    expect(await series('op_seconds_count')).toEqual([
      `op_seconds_count{namespace="users",tier="memory",operation="get"} ${count}`,
    ]);
    const [sum] = await series('op_seconds_sum');
    expect(Number(sum.split(' ')[1])).toBeCloseTo(count * 0.002, 9);
    expect(metrics.totals().get.count).toBe(count);
    expect(metrics.totals().get.seconds).toBeCloseTo(count * 0.002, 9);
  });

  it('times every read that leaves memory, even between timed hits', async () => {
    memoryHits(1);
    const readings = clock.mock.calls.length;
    for (let i = 0; i < 3; i++) {
      const started = metrics.leftMemory(metrics.readStart());
      metrics.observe('redis', 'get', (performance.now() - started) / 1000);
    }
    expect(clock.mock.calls.length - readings).toBe(6);
    expect(await series('op_seconds_count{namespace="users",tier="redis"')).toEqual([
      'op_seconds_count{namespace="users",tier="redis",operation="get"} 3',
    ]);
    expect(metrics.totals().get.count).toBe(4);
  });

  it('times the first memory hit even after reads that left memory', async () => {
    const started = metrics.leftMemory(metrics.readStart());
    metrics.observe('redis', 'get', (performance.now() - started) / 1000);
    memoryHits(2);
    expect(await series('op_seconds_count{namespace="users",tier="memory"')).toEqual([
      'op_seconds_count{namespace="users",tier="memory",operation="get"} 2',
    ]);
    expect(await series('op_seconds_sum{namespace="users",tier="memory"')).toEqual([
      'op_seconds_sum{namespace="users",tier="memory",operation="get"} 0.004',
    ]);
  });

  it('observes writes and loader calls exactly', async () => {
    metrics.observe('memory', 'set', 0.5);
    metrics.observe('memory', 'set', 0.005);
    metrics.loader(2);
    expect(
      await series('op_seconds_bucket{namespace="users",tier="memory",operation="set",le="0.01"}'),
    ).toEqual(['op_seconds_bucket{namespace="users",tier="memory",operation="set",le="0.01"} 1']);
    expect(await series('loader_seconds_bucket{namespace="users",le="+Inf"')).toEqual([
      'loader_seconds_bucket{namespace="users",le="+Inf"} 1',
    ]);
    expect(await series('loader_seconds_bucket{namespace="users",le="1"')).toEqual([
      'loader_seconds_bucket{namespace="users",le="1"} 0',
    ]);
    expect(metrics.totals().set).toEqual({ count: 2, seconds: 0.505 });
  });
});
