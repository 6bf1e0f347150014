import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { AppModule } from '../apps/demo/src/app.module';
import { DemoClient } from './servers/demo-client';
import { eventually } from './servers/eventually';
import { RedisServer } from './servers/redis-server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Sample {
  at: number;
  namespaces: Record<string, { hitRate: number | null; p50Ms: number | null }>;
}

describe('the dashboard in a real browser', () => {
  let app: INestApplication;
  let redis: RedisServer;
  let browser: Browser;
  let traffic: NodeJS.Timeout | undefined;
  let base: string;

  const data = async (): Promise<{
    samples: Sample[];
    current: Record<string, { hitRate: number }>;
  }> => (await new DemoClient(base).get('/cache/dashboard/data')).body;

  beforeAll(async () => {
    redis = await RedisServer.start();
    process.env.SQLITE_PATH = join(mkdtempSync(join(tmpdir(), 'dashboard-store-')), 'store.sqlite');
    process.env.REDIS_URL = redis.url;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.listen(0, '127.0.0.1');
    process.env.REDIS_URL = '';
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    clearInterval(traffic);
    await browser?.close();
    await app?.close();
    await redis?.stop();
  });

  it('opens on the server-side history, plots per-second rates and latency, values and backends', async () => {
    const ada = await DemoClient.login(base, 'ada@example.com');
    // Steady traffic; user reads hit (warmed users) until `userPaths` says otherwise.
    let userPaths = ['/users/1', '/users/2', '/users/3'];
    traffic = setInterval(() => {
      for (const path of userPaths) void fetch(`${base}${path}`).catch(() => undefined);
      for (const path of ['/me', '/chats/1', '/chats/1/messages', '/chats/1/search?q=a'])
        void ada.get(path).catch(() => undefined);
    }, 100);
    // The server samples before any page is open.
    await eventually(async () => {
      const { samples } = await data();
      expect(samples.length).toBeGreaterThanOrEqual(10);
      const hits = samples.filter((s) => s.namespaces.userRecords?.hitRate === 100);
      expect(hits.length).toBeGreaterThanOrEqual(5);
    }, 30_000);
    // Then only unknown users: misses, each second; the lifetime rate stays high for long.
    userPaths = ['/users/98', '/users/99'];
    await eventually(async () => {
      const { samples, current } = await data();
      expect(samples.at(-1)?.namespaces.userRecords.hitRate).toBe(0);
      expect(current.userRecords.hitRate).toBeGreaterThan(0.5);
    }, 30_000);

    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${base}/cache/dashboard`);
    await page.waitForFunction('Number(document.body.dataset.fetches) >= 1', { timeout: 30_000 });
    // The first answer already held the history: the page does not start empty.
    expect(Number(await page.$eval('body', (body) => body.dataset.samples))).toBeGreaterThanOrEqual(
      8,
    );
    const charts = await page.$$eval('[data-chart]', (cards) =>
      cards.map((card) => card.getAttribute('data-chart')),
    );
    expect(charts).toEqual(['hitRate', 'reads', 'p50Ms', 'p99Ms', 'entries', 'bytes']);
    const series = await page.$$eval('[data-chart="reads"] polyline.series', (lines) =>
      lines.map((line) => ({
        namespace: line.getAttribute('data-namespace'),
        points: Number(line.getAttribute('data-points')),
      })),
    );
    const info = (await new DemoClient(base).get('/cache/info')).body as {
      namespaces: Array<{ name: string }>;
    };
    const names = info.namespaces.map((namespace) => namespace.name).sort();
    expect(series.map((line) => line.namespace)).toEqual(names);
    expect(Math.min(...series.map((line) => line.points))).toBeGreaterThanOrEqual(8);
    // Per second: the line went from the top (100%) to the axis (0%).
    const hitRate = await page.$eval(
      '[data-chart="hitRate"] polyline[data-namespace="userRecords"]',
      (line) =>
        (line.getAttribute('points') ?? '').split(' ').map((p: string) => Number(p.split(',')[1])),
    );
    expect(Math.min(...hitRate)).toBeLessThan(10);
    expect(hitRate.at(-1)).toBeGreaterThan(120);
    for (const quantile of ['p50Ms', 'p99Ms'])
      expect(
        Number(
          await page.$eval(
            `[data-chart="${quantile}"] polyline[data-namespace="userRecords"]`,
            (line) => line.getAttribute('data-points'),
          ),
        ),
      ).toBeGreaterThanOrEqual(8);
    const rows = await page.$$eval('#current tr[data-namespace]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-namespace')),
    );
    expect(rows).toEqual(names);
    expect(
      await page.$eval(
        'tr[data-namespace="userRecords"] [data-field="hits"]',
        (td) => td.textContent,
      ),
    ).not.toBe('0');
    const backends = await page.$$eval('[data-backend]', (cards) =>
      cards.map((card) => card.getAttribute('data-backend')),
    );
    expect(backends).toEqual(
      expect.arrayContaining([
        'cache',
        'memory',
        'redis',
        'redis.bus',
        'redis.ping',
        'persistence',
      ]),
    );
    expect(
      await page.$eval('[data-backend="redis"] [data-field="circuit"]', (dd) => dd.textContent),
    ).toBe('closed');
    expect(
      await page.$eval(
        '[data-backend="redis.bus"] [data-field="connected"]',
        (dd) => dd.textContent,
      ),
    ).toBe('true');
    expect(
      await page.$eval('[data-backend="persistence"] [data-field="dirty"]', (dd) => dd.textContent),
    ).toMatch(/^\d+$/);
    // The bus on its own card: transport, connected, gaps (and the last gap once there is one).
    const field = (backend: string, name: string) =>
      page.$eval(`[data-backend="${backend}"] [data-field="${name}"]`, (dd) => dd.textContent);
    expect(await page.$eval('[data-backend="bus"] h2', (h2) => h2.textContent)).toBe(
      'bus over redis up',
    );
    expect(await field('bus', 'transport')).toBe('redis');
    expect(await field('bus', 'connected')).toBe('true');
    expect(await field('bus', 'gaps')).toBe('0');
    // The durable store: healthy, what waits for a flush, and whatever else it reports (the last
    // flush as a time of day and how long ago, its circuit).
    expect(await page.$eval('[data-backend="persistence"] h2', (h2) => h2.textContent)).toBe(
      'durable store up',
    );
    expect(await field('persistence', 'healthy')).toBe('true');
    const reported = (await data()) as unknown as { backends: { persistence: object } };
    const store = reported.backends.persistence as Record<string, unknown>;
    if ('lastFlushAt' in store)
      expect(await field('persistence', 'lastFlushAt')).toMatch(/\d+ s ago\)$/);
    if ('circuit' in store) expect(await field('persistence', 'circuit')).toBe('closed');
    // The README's picture is refreshed on demand (UPDATE_DASHBOARD_SCREENSHOT=1 npm test).
    const shot = process.env.UPDATE_DASHBOARD_SCREENSHOT
      ? join(__dirname, '..', 'docs', 'dashboard.png')
      : join(mkdtempSync(join(tmpdir(), 'dashboard-shot-')), 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 120_000);
});
