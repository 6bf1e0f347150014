import { Test, type TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { CacheModule } from '../cache.module';
import { CacheService } from '../cache.service';

describe('Prometheus metrics', () => {
  let registry: Registry;
  let moduleRef: TestingModule;
  let service: CacheService;

  beforeEach(async () => {
    registry = new Registry();
    moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['users', 'pages'], metrics: { registry } })],
    }).compile();
    await moduleRef.init();
    service = moduleRef.get(CacheService);
  });
  afterEach(() => moduleRef.close());

  const line = (text: string, metric: string): string | undefined =>
    text.split('\n').find((row) => row.startsWith(metric));

  it('counts scripted traffic exactly, by namespace, without double counting across scrapes', async () => {
    const users = service.namespace('users');
    await users.set('a', 1);
    await users.set('b', 2);
    await users.set('c', 3);
    await users.get('a');
    await users.get('b');
    await users.get('a');
    await users.get('missing');
    await users.delete('c');
    await service.namespace('pages').getOrSet('home', () => 'html');
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await registry.metrics();
      expect(line(text, 'cache_hits_total{namespace="users"}')).toBe(
        'cache_hits_total{namespace="users"} 3',
      );
      expect(line(text, 'cache_misses_total{namespace="users"}')).toBe(
        'cache_misses_total{namespace="users"} 1',
      );
      expect(line(text, 'cache_sets_total{namespace="users"}')).toBe(
        'cache_sets_total{namespace="users"} 3',
      );
      expect(line(text, 'cache_deletes_total{namespace="users"}')).toBe(
        'cache_deletes_total{namespace="users"} 1',
      );
      expect(line(text, 'cache_entries{namespace="users"}')).toBe(
        'cache_entries{namespace="users"} 2',
      );
      expect(line(text, 'cache_loader_calls_total{namespace="pages"}')).toBe(
        'cache_loader_calls_total{namespace="pages"} 1',
      );
      expect(
        line(
          text,
          'cache_operation_duration_seconds_count{namespace="users",tier="memory",operation="get"}',
        ),
      ).toBe(
        'cache_operation_duration_seconds_count{namespace="users",tier="memory",operation="get"} 4',
      );
      expect(
        line(
          text,
          'cache_operation_duration_seconds_count{namespace="users",tier="memory",operation="set"}',
        ),
      ).toBe(
        'cache_operation_duration_seconds_count{namespace="users",tier="memory",operation="set"} 3',
      );
      expect(line(text, 'cache_loader_duration_seconds_count{namespace="pages"}')).toBe(
        'cache_loader_duration_seconds_count{namespace="pages"} 1',
      );
    }
  });

  it('counts every memory hit of get and getOrSet in the histogram, timed or not', async () => {
    const users = service.namespace('users');
    await users.set('a', 1);
    for (let i = 0; i < 50; i++) await users.get('a');
    for (let i = 0; i < 50; i++) await users.getOrSet('a', () => 2);
    const text = await registry.metrics();
    const labels = 'namespace="users",tier="memory",operation="get"';
    expect(line(text, `cache_operation_duration_seconds_count{${labels}}`)).toBe(
      `cache_operation_duration_seconds_count{${labels}} 100`,
    );
    expect(line(text, `cache_operation_duration_seconds_bucket{${labels},le="+Inf"}`)).toBe(
      `cache_operation_duration_seconds_bucket{${labels},le="+Inf"} 100`,
    );
    expect(service.stats().users.latency?.get.count).toBe(100);
  });

  it('never uses keys as label values', async () => {
    await service.namespace('users').set('user:secret-token', 1);
    await service.namespace('users').get('user:secret-token');
    expect(await registry.metrics()).not.toContain('secret-token');
  });

  it('reports cumulative latency in stats, and unregisters on close so a new app can register', async () => {
    await service.namespace('users').get('x');
    expect(service.stats().users.latency?.get.count).toBe(1);
    await moduleRef.close();
    expect(registry.getSingleMetric('cache_hits_total')).toBeUndefined();
    moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['users'], metrics: { registry } })],
    }).compile();
    await moduleRef.init();
    expect(registry.getSingleMetric('cache_hits_total')).toBeDefined();
  });

  it('refuses a second app on a registry the first still uses, naming the option, and leaves the first counting', async () => {
    const second = Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['other'], metrics: { registry } })],
    }).compile();
    await expect(second).rejects.toMatchObject({
      code: 'E_CACHE_INVALID_OPTION',
      message: expect.stringMatching(/^metrics: .*"cache_hits_total".*hint: .*prefix/),
    });
    await service.namespace('users').get('x');
    expect(line(await registry.metrics(), 'cache_misses_total{')).toBe(
      'cache_misses_total{namespace="users"} 1',
    );
  });

  it('registers none of its metrics when one name is taken', async () => {
    const own = new Registry();
    const { Gauge } = await import('prom-client');
    new Gauge({ name: 'cache_bytes', help: 'the app’s own', registers: [own] });
    const taken = Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['n'], metrics: { registry: own } })],
    }).compile();
    await expect(taken).rejects.toMatchObject({ code: 'E_CACHE_INVALID_OPTION' });
    expect(own.getMetricsAsArray().map((metric) => metric.name)).toEqual(['cache_bytes']);
  });

  it('costs nothing when off: no latency in stats', async () => {
    const plain = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['n'] })],
    }).compile();
    await plain.init();
    await plain.get(CacheService).namespace('n').get('k');
    expect(plain.get(CacheService).stats().n.latency).toBeUndefined();
    await plain.close();
  });
});
