import { spawnSync } from 'node:child_process';
import { QUICK, readResults, report, save, suiteOf, type BenchRecord } from './harness';
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
  const chosen = names.length > 0 ? names : Object.keys(suites);
  if (QUICK && !process.env.BENCH_SUITE_PROCESS)
    console.log('BENCH_QUICK: short rounds, rough numbers');
  if (chosen.length === 1) await runSuite(chosen[0]);
  else for (const name of chosen) runInOwnProcess(name);
  if (process.env.BENCH_SUITE_PROCESS) return;
  report(readResults().filter((record) => chosen.includes(suiteOf(record.name))));
  writeReadmeTable();
  console.log('saved to bench/results/latest.json; README table regenerated');
}

/** Runs one suite here and merges its records into `bench/results/latest.json`. */
async function runSuite(name: string): Promise<void> {
  const started = Date.now();
  const measured: BenchRecord[] = await suites[name]();
  console.log(
    `${name}: ${measured.length} records in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  save(measured, [name], Object.keys(suites));
}

/**
 * Each suite of a run gets a fresh process: in one process, the heap a suite leaves (a filled
 * cache, pools, sockets) and the code it trained weigh on every later suite, so a case measured
 * after others read 10-20% lower than alone.
 */
function runInOwnProcess(name: string): void {
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, name], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_SUITE_PROCESS: '1' },
  });
  if (child.status !== 0)
    throw new Error(`suite ${name} failed (exit ${child.status ?? child.signal})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
