import { QUICK, report, save, type BenchRecord } from './harness';
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
  if (QUICK) console.log('BENCH_QUICK: short rounds, rough numbers');
  const records: BenchRecord[] = [];
  for (const name of chosen) {
    const started = Date.now();
    const measured = await suites[name]();
    console.log(
      `${name}: ${measured.length} records in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    // Saved suite by suite, so a failing suite later in the run keeps the earlier ones.
    save(measured, [name], Object.keys(suites));
    records.push(...measured);
  }
  report(records);
  writeReadmeTable();
  console.log('saved to bench/results/latest.json; README table regenerated');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
