import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { AppModule } from '../apps/demo/src/app.module';
import { DemoClient } from './servers/demo-client';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the dashboard in a real browser', () => {
  let app: INestApplication;
  let browser: Browser;
  let traffic: NodeJS.Timeout;

  beforeAll(async () => {
    process.env.SQLITE_PATH = join(mkdtempSync(join(tmpdir(), 'dashboard-store-')), 'store.sqlite');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    await app.listen(0, '127.0.0.1');
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
  });

  it('plots every namespace with data, refreshing itself', async () => {
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    // Steady traffic, so the plots have something to show.
    const ada = await DemoClient.login(base, 'ada@example.com');
    traffic = setInterval(() => {
      for (const id of [1, 2, 4, 99]) void fetch(`${base}/users/${id}`).catch(() => undefined);
      for (const path of ['/me', '/chats/1', '/chats/1/messages', '/chats/1/search?q=a'])
        void ada.get(path).catch(() => undefined);
    }, 100);
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${base}/cache/dashboard`);
    await page.waitForFunction('Number(document.body.dataset.samples) >= 8', { timeout: 30_000 });
    const charts = await page.$$eval('[data-chart]', (cards) =>
      cards.map((card) => card.getAttribute('data-chart')),
    );
    expect(charts).toEqual(['hitRate', 'reads', 'entries', 'bytes', 'getMs']);
    const series = await page.$$eval('[data-chart="hitRate"] polyline.series', (lines) =>
      lines.map((line) => ({
        namespace: line.getAttribute('data-namespace'),
        points: Number(line.getAttribute('data-points')),
      })),
    );
    const info = (await (await fetch(`${base}/cache/info`)).json()) as {
      namespaces: Array<{ name: string }>;
    };
    expect(series.map((line) => line.namespace)).toEqual(
      info.namespaces.map((namespace) => namespace.name).sort(),
    );
    expect(Math.min(...series.map((line) => line.points))).toBeGreaterThanOrEqual(4);
    const hitRate: string = await page.$eval(
      '[data-chart="hitRate"] polyline[data-namespace="userRecords"]',
      (line) => line.getAttribute('points') ?? '',
    );
    // Some user reads hit: the line is not flat on zero.
    expect(
      new Set(hitRate.split(' ').map((point: string) => point.split(',')[1])).size,
    ).toBeGreaterThan(1);
    // The README's picture is refreshed on demand (UPDATE_DASHBOARD_SCREENSHOT=1 npm test).
    const shot = process.env.UPDATE_DASHBOARD_SCREENSHOT
      ? join(__dirname, '..', 'docs', 'dashboard.png')
      : join(mkdtempSync(join(tmpdir(), 'dashboard-shot-')), 'dashboard.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 60_000);
});
