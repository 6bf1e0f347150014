import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readResults, suiteOf, type BenchRecord } from './harness';

const README = join(__dirname, '..', 'README.md');

/** The line after which README.md holds the generated table. */
export const BEGIN_MARKER = '<!-- bench-table:begin -->';
/** The line before which README.md's generated table ends. */
export const END_MARKER = '<!-- bench-table:end -->';

/** The order suites appear in, whatever order they were last run in. */
const SUITES = ['memory', 'metrics', 'redis', 'http', 'persistence', 'heap'];

/** A goal: the lowest ratio that meets it or, where higher is worse, the highest. */
type Goal = { name: string; peer: string } & ({ atLeast: number } | { atMost: number });

const route = (platform: string): string =>
  `http cached route, ${platform}, 10 connections (req/s)`;

/** The goals of the performance issue, by case and peer. */
export const GOALS: readonly Goal[] = [
  { name: 'memory get-hit', peer: 'await Map', atLeast: 0.9 },
  { name: 'memory get-hit', peer: 'BentoCache memory store', atLeast: 10 },
  { name: 'memory set', peer: '@nestjs/cache-manager', atLeast: 2 },
  { name: 'memory set', peer: 'lru-cache', atLeast: 0.4 },
  { name: 'memory getOrSet-hit', peer: 'await Map', atLeast: 0.9 },
  { name: 'metrics on, memory get-hit', peer: 'the same get-hit, metrics off', atLeast: 0.85 },
  { name: 'redis get, sequential', peer: 'raw ioredis GET + JSON.parse', atLeast: 0.9 },
  { name: 'redis get, 50 in flight', peer: 'raw ioredis GET + JSON.parse', atLeast: 0.9 },
  { name: 'redis set, 50 in flight', peer: 'raw ioredis SET PX + JSON.stringify', atLeast: 0.9 },
  { name: 'redis getMany(100)', peer: 'raw ioredis MGET + JSON.parse', atLeast: 0.85 },
  {
    name: 'redis two tiers get, 90% memory hits',
    peer: 'BentoCache L1 + Redis L2 + bus',
    atLeast: 1.5,
  },
  ...['Express', 'Fastify'].flatMap((platform) => [
    { name: route(platform), peer: '@nestjs/cache-manager CacheInterceptor', atLeast: 1.2 },
    { name: route(platform), peer: 'the same route doing no work, uncached', atLeast: 0.9 },
  ]),
  {
    name: 'persistence flush of 100k entries to PostgreSQL (rows/s)',
    peer: 'pg: batched unnest upsert of the same rows',
    atLeast: 0.9,
  },
  {
    name: 'persistence warm start of 100k rows into memory (rows/s)',
    peer: 'pg: keyset-paged SELECT of the same rows',
    atLeast: 0.5,
  },
  {
    name: 'heap bytes per entry, 1M small entries (bytes/entry)',
    peer: 'lru-cache holding the same entries',
    // Set once measured (1.66x): the entry's own metadata is what it may cost over lru-cache.
    atMost: 1.5,
  },
];

/** Units a case's name may end with, in parentheses; without one a case is in ops/s. */
const UNITS = ['req/s', 'rows/s', 'bytes/entry'];

/** The unit a case is measured in, and its name without it. */
function unitOf(name: string): { unit: string; label: string } {
  const unit = UNITS.find((u) => name.endsWith(` (${u})`));
  return unit
    ? { unit, label: name.slice(0, -` (${unit})`.length) }
    : { unit: 'ops/s', label: name };
}

/** `2.09 M ops/s`, `6.3 k req/s`, `182 bytes/entry`. */
function amount(value: number, unit: string): string {
  if (unit.startsWith('bytes')) return `${value} ${unit}`;
  const [scaled, suffix] =
    value >= 1e6 ? [value / 1e6, ' M'] : value >= 1e3 ? [value / 1e3, ' k'] : [value, ''];
  const digits = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2;
  return `${scaled.toFixed(digits)}${suffix} ${unit}`;
}

function goalCell(record: BenchRecord): string {
  const goal = GOALS.find((g) => g.name === record.name && g.peer === record.peer);
  if (!goal) return '';
  const [bound, met] =
    'atLeast' in goal
      ? [`>= ${goal.atLeast}x`, record.ratio >= goal.atLeast]
      : [`<= ${goal.atMost}x (higher is worse)`, record.ratio <= goal.atMost];
  return `${bound}: ${met ? 'met' : '**not met**'}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The README table of `records`, suite by suite, ending with one newline. */
export function renderTable(records: readonly BenchRecord[]): string {
  const ordered = SUITES.flatMap((suite) => records.filter((r) => suiteOf(r.name) === suite));
  const others = records.filter((r) => !SUITES.includes(suiteOf(r.name)));
  const dates = records.map((r) => r.measuredAt.slice(0, 10)).sort();
  const lines = [
    '<!-- Generated from bench/results/latest.json by `npm run bench:table`; edit neither by hand. -->',
    '',
    dates.length === 0
      ? 'No measurements yet: run `npm run bench`.'
      : `Measured ${dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} to ${dates[dates.length - 1]}`}; the ratio is this module over the peer.`,
    '',
    '| case | this module | peer | peer measured | ratio | goal |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of [...ordered, ...others]) {
    const { unit, label } = unitOf(r.name);
    const row = [
      label,
      amount(r.opsPerSec, unit),
      r.peer,
      amount(r.peerOpsPerSec, unit),
      `${r.ratio}x`,
      goalCell(r),
    ];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The text between README's marker lines, or `undefined` when they are missing. */
export function tableInReadme(readme: string): string | undefined {
  const lines = readme.split('\n');
  const begin = lines.indexOf(BEGIN_MARKER);
  const end = lines.indexOf(END_MARKER, begin + 1);
  if (begin < 0 || end < 0) return undefined;
  return lines
    .slice(begin + 1, end)
    .map((line) => `${line}\n`)
    .join('');
}

/** `readme` with the text between its marker lines replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const lines = readme.split('\n');
  const begin = lines.indexOf(BEGIN_MARKER);
  const end = lines.indexOf(END_MARKER, begin + 1);
  if (begin < 0 || end < 0) {
    throw new Error(`README.md needs the lines "${BEGIN_MARKER}" and "${END_MARKER}", in order`);
  }
  return `${lines.slice(0, begin + 1).join('\n')}\n${table}${lines.slice(end).join('\n')}`;
}

/** Regenerates README.md's table from `bench/results/latest.json`; true when it changed. */
export function writeReadmeTable(): boolean {
  const readme = readFileSync(README, 'utf8');
  const updated = withTable(readme, renderTable(readResults()));
  if (updated !== readme) writeFileSync(README, updated);
  return updated !== readme;
}

if (require.main === module) {
  try {
    console.log(
      writeReadmeTable() ? 'README.md: benchmark table updated.' : 'README.md: table up to date.',
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
