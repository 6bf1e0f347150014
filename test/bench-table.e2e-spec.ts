import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { medianRecords, readResults, save, type BenchRecord } from '../bench/harness';
import { BEGIN_MARKER, END_MARKER, renderTable, tableInReadme } from '../bench/table';

/**
 * The rows of the performance goals, as case and peer: kept apart from the generator's list, so a
 * suite that stops measuring one (or renames it) fails here.
 */
const GOAL_ROWS: ReadonlyArray<[string, string]> = [
  ['memory get-hit', 'await Map'],
  ['memory get-hit', 'BentoCache memory store'],
  ['memory get-hit', 'lru-cache'],
  ['memory get-hit', '@nestjs/cache-manager'],
  ['memory set', '@nestjs/cache-manager'],
  ['memory set', 'lru-cache'],
  ['memory getOrSet-hit', 'await Map'],
  ['metrics on, memory get-hit', 'the same get-hit, metrics off'],
  ['redis get, sequential', 'raw ioredis GET + JSON.parse'],
  ['redis get, 50 in flight', 'raw ioredis GET + JSON.parse'],
  ['redis set, 50 in flight', 'raw ioredis SET PX + JSON.stringify'],
  ['redis getMany(100)', 'raw ioredis MGET + JSON.parse'],
  ['redis two tiers get, 90% memory hits', 'BentoCache L1 + Redis L2 + bus'],
  ['http cached route, Express, 10 connections (req/s)', '@nestjs/cache-manager CacheInterceptor'],
  ['http cached route, Express, 10 connections (req/s)', 'the same route doing no work, uncached'],
  ['http cached route, Fastify, 10 connections (req/s)', '@nestjs/cache-manager CacheInterceptor'],
  ['http cached route, Fastify, 10 connections (req/s)', 'the same route doing no work, uncached'],
  [
    'persistence flush of 100k entries to PostgreSQL (rows/s)',
    'pg: batched unnest upsert of the same rows',
  ],
  [
    'persistence warm start of 100k rows into memory (rows/s)',
    'pg: keyset-paged SELECT of the same rows',
  ],
  ['heap bytes per entry, 1M small entries (bytes/entry)', 'lru-cache holding the same entries'],
];

const REGENERATE = 'run `npm run bench:table` to regenerate it from bench/results/latest.json';

const sample = (overrides: Partial<BenchRecord>): BenchRecord => ({
  name: 'memory get-hit',
  opsPerSec: 2_000_000,
  peer: 'await Map',
  peerOpsPerSec: 2_500_000,
  ratio: 0.8,
  measuredAt: '2026-11-26T10:00:00.000Z',
  ...overrides,
});

describe('benchmark results and the README table', () => {
  const records = readResults();

  it('holds one well-formed record per case and peer', () => {
    const seen = new Set<string>();
    for (const r of records) {
      const id = `${r.name} / ${r.peer}`;
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      expect(Object.keys(r).sort()).toEqual(
        ['measuredAt', 'name', 'opsPerSec', 'peer', 'peerOpsPerSec', 'ratio'].sort(),
      );
      expect(r.opsPerSec).toBeGreaterThan(0);
      expect(r.peerOpsPerSec).toBeGreaterThan(0);
      // The ratio is taken before rounding the rates; it may differ from theirs in the last digit.
      expect(Math.abs(r.ratio - r.opsPerSec / r.peerOpsPerSec)).toBeLessThan(0.01 + 1e-9);
      expect(new Date(r.measuredAt).toISOString()).toBe(r.measuredAt);
    }
  });

  it('measures every row of the performance goals', () => {
    const missing = GOAL_ROWS.filter(
      ([name, peer]) => !records.some((r) => r.name === name && r.peer === peer),
    ).map(([name, peer]) => `${name} / ${peer}`);
    expect(missing).toEqual([]);
  });

  it('is in the README as generated from bench/results/latest.json', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const inReadme = tableInReadme(readme);
    if (inReadme === undefined) {
      throw new Error(`README.md has no "${BEGIN_MARKER}" ... "${END_MARKER}" lines`);
    }
    try {
      expect(inReadme).toBe(renderTable(records));
    } catch (error) {
      if (error instanceof Error)
        error.message = `README.md is stale: ${REGENERATE}.\n\n${error.message}`;
      throw error;
    }
  });

  it('renders each case in its unit, against its goal', () => {
    const table = renderTable([
      sample({}),
      sample({ peer: 'BentoCache memory store', peerOpsPerSec: 150_000, ratio: 13.33 }),
      sample({
        name: 'http cached route, Fastify, 10 connections (req/s)',
        peer: 'the same route doing no work, uncached',
        opsPerSec: 6300,
        peerOpsPerSec: 6800,
        ratio: 0.93,
      }),
      sample({
        name: 'heap bytes per entry, 1M small entries (bytes/entry)',
        peer: 'lru-cache holding the same entries',
        opsPerSec: 285,
        peerOpsPerSec: 133,
        ratio: 2.14,
      }),
    ]);
    const rows = table
      .split('\n')
      .filter((line) => line.startsWith('| ') && !/^\| (case|---) /.test(line));
    expect(rows).toEqual([
      '| memory get-hit | 2.00 M ops/s | await Map | 2.50 M ops/s | 0.8x | >= 0.9x: **not met** |',
      '| memory get-hit | 2.00 M ops/s | BentoCache memory store | 150 k ops/s | 13.33x | >= 10x: met |',
      '| http cached route, Fastify, 10 connections | 6.30 k req/s | the same route doing no work, uncached | 6.80 k req/s | 0.93x | >= 0.9x: met |',
      '| heap bytes per entry, 1M small entries | 285 bytes/entry | lru-cache holding the same entries | 133 bytes/entry | 2.14x | <= 1.5x (higher is worse): **not met** |',
    ]);
    expect(table).toContain('Measured 2026-11-26;');
  });

  it('keeps, of several processes, the record with the median ratio, rates and all', () => {
    const runs = [0.7, 0.95, 0.8].map((ratio) => [
      sample({ ratio, opsPerSec: ratio * 1000 }),
      sample({ name: 'memory set', ratio: 1 / ratio }),
    ]);
    expect(medianRecords(runs).map((r) => [r.name, r.ratio, r.opsPerSec])).toEqual([
      ['memory get-hit', 0.8, 800],
      ['memory set', 1 / 0.8, 2_000_000],
    ]);
  });

  it('merges a run into the file: the suites that ran replace their records, others stay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    const file = join(dir, 'latest.json');
    try {
      const earlier = [
        sample({ opsPerSec: 1 }),
        sample({ name: 'memory set' }),
        sample({ name: 'redis get, sequential', peer: 'raw' }),
        sample({ name: 'gone suite case' }),
      ];
      writeFileSync(file, JSON.stringify(earlier));
      save([sample({ opsPerSec: 7 })], ['memory'], ['memory', 'redis'], file);
      expect(readResults(file).map((r) => [r.name, r.opsPerSec])).toEqual([
        ['redis get, sequential', 2_000_000],
        ['memory get-hit', 7],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
