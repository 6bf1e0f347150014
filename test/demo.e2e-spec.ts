import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../apps/demo/src/app.module';

describe('demo app over HTTP (no server needed)', () => {
  let app: INestApplication;

  beforeEach(async () => {
    // Each app gets a store of its own: persisted visits must not leak between tests.
    process.env.CACHE_SQLITE_PATH = join(
      mkdtempSync(join(tmpdir(), 'demo-store-')),
      'store.sqlite',
    );
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterEach(() => app.close());

  it('reads profiles through the cache: one load, then hits; counts visits', async () => {
    const first = await request(app.getHttpServer()).get('/profiles/ada').expect(200);
    expect(first.body).toMatchObject({ profile: { name: 'Ada Lovelace' }, visits: 1, loads: 1 });
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => request(app.getHttpServer()).get('/profiles/alan').expect(200)),
    );
    expect(concurrent.map((response) => response.body.loads)).toEqual([2, 2, 2]);
    const again = await request(app.getHttpServer()).get('/profiles/ada').expect(200);
    expect(again.body).toMatchObject({ visits: 2, loads: 2 });
    const stats = await request(app.getHttpServer()).get('/cache/stats').expect(200);
    // Callers that join a load in progress count as misses: the value was not there.
    expect(stats.body.profiles).toMatchObject({ misses: 4, hits: 1, entries: 2 });
    expect(stats.body.visits).toMatchObject({ sets: 5, entries: 2 });
  });

  it('patches a cached profile in place and invalidates by tag', async () => {
    await request(app.getHttpServer()).get('/profiles/ada').expect(200);
    await request(app.getHttpServer()).patch('/profiles/ada').send({ name: 'Ada K' }).expect(200);
    const patched = await request(app.getHttpServer()).get('/profiles/ada').expect(200);
    expect(patched.body).toMatchObject({ profile: { name: 'Ada K' }, loads: 1 });
    const forgotten = await request(app.getHttpServer()).delete('/profiles').expect(200);
    expect(forgotten.body).toEqual({ invalidated: 1 });
    const reloaded = await request(app.getHttpServer()).get('/profiles/ada').expect(200);
    expect(reloaded.body.loads).toBe(2);
  });

  it('does not cache a failed load', async () => {
    await request(app.getHttpServer()).get('/profiles/nobody').expect(404);
    const stats = await request(app.getHttpServer()).get('/cache/stats').expect(200);
    expect(stats.body.profiles.entries).toBe(0);
  });

  it('exposes Prometheus metrics and its health', async () => {
    await request(app.getHttpServer()).get('/profiles/ada').expect(200);
    await request(app.getHttpServer()).get('/profiles/ada').expect(200);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.text).toContain('cache_hits_total{namespace="profiles"} 1');
    expect(metrics.text).toContain('cache_operation_duration_seconds_bucket');
    const health = await request(app.getHttpServer()).get('/cache/health').expect(200);
    expect(health.body).toMatchObject({
      status: 'up',
      memory: { healthy: true },
      persistence: { healthy: true },
    });
  });

  it('reports its configuration', async () => {
    const info = await request(app.getHttpServer()).get('/cache/info').expect(200);
    expect(info.body.prefix).toBe('demo');
    expect(info.body.namespaces.map((n: { name: string }) => n.name).sort()).toEqual([
      'lastSeen',
      'notes',
      'profiles',
      'visits',
    ]);
  });
});
