import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  medianRecords,
  QUICK,
  readResults,
  report,
  save,
  suiteOf,
  type BenchRecord,
} from './harness';
import { benchHeap } from './heap.bench';
import { benchHttp } from './http.bench';
import { benchMemory, benchMetrics } from './memory.bench';
import { benchPersistence } from './persistence.bench';
import { benchRedis } from './redis.bench';
import { writeReadmeTable } from './table';

/** Every suite, in the order a full run takes them; each name prefixes its cases' names. */
const suites: Record<string, () => Promise<BenchRecord[]>> = {
  memory: benchMemory,
  metrics: benchMetrics,
  redis: benchRedis,
  http: benchHttp,
  persistence: benchPersistence,
  heap: benchHeap,
};

/**
 * How many fresh processes run each suite. One process's numbers depend on what its JIT made of
 * the code (the same case moved 10-15% from one process to the next, in either direction), so
 * each record is the median of several.
 */
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? (QUICK ? 1 : 3));

/** Set in a suite's own process: where it writes its records. */
const OUTPUT = process.env.BENCH_OUTPUT;

/**
 * Runs every benchmark side by side with its peers, merges the records into
 * `bench/results/latest.json` and regenerates the README's table from it. Name suites to run
 * only those (`npm run bench -- redis http`); `BENCH_QUICK=1` for short rounds.
 */
async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !(name in suites));
  if (unknown.length > 0) {
    throw new Error(
      `unknown suite ${unknown.join(', ')}: one of ${Object.keys(suites).join(', ')}`,
    );
  }
  if (OUTPUT !== undefined) {
    writeFileSync(OUTPUT, JSON.stringify(await suites[names[0]]()));
    return;
  }
  const chosen = names.length > 0 ? names : Object.keys(suites);
  if (QUICK) console.log('BENCH_QUICK: short rounds, rough numbers');
  for (const name of chosen) {
    const started = Date.now();
    const runs = Array.from({ length: PROCESSES }, () => runInOwnProcess(name));
    const records = medianRecords(runs);
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`${name}: ${records.length} records from ${PROCESSES} process(es) in ${seconds} s`);
    // Saved suite by suite, so a failing suite later in the run keeps the earlier ones.
    save(records, [name], Object.keys(suites));
  }
  report(readResults().filter((record) => chosen.includes(suiteOf(record.name))));
  writeReadmeTable();
  console.log('saved to bench/results/latest.json; README table regenerated');
}

/**
 * Runs one suite in a fresh process and answers its records: in one process, the heap a suite
 * leaves (a filled cache, pools, sockets) and the code it trained would weigh on the next.
 */
function runInOwnProcess(name: string): BenchRecord[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const output = join(dir, 'records.json');
  try {
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, name], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_OUTPUT: output },
    });
    if (child.status !== 0) {
      throw new Error(`suite ${name} failed (exit ${child.status ?? child.signal})`);
    }
    return JSON.parse(readFileSync(output, 'utf8')) as BenchRecord[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
