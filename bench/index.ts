import { report, save, type BenchRecord } from './harness';
import { benchHttp } from './http.bench';
import { benchMemory, benchMetrics } from './memory.bench';
import { benchPersistence } from './persistence.bench';
import { benchRedis } from './redis.bench';

const suites: Record<string, () => Promise<BenchRecord[]>> = {
  memory: benchMemory,
  metrics: benchMetrics,
  redis: benchRedis,
  http: benchHttp,
  persistence: benchPersistence,
};

/**
 * Runs every benchmark side by side with its peers and records the ratios. Name suites to run
 * only those: `npm run bench -- redis`.
 */
async function main(): Promise<void> {
  const chosen = process.argv.slice(2).filter((name) => name in suites);
  const records: BenchRecord[] = [];
  for (const name of chosen.length > 0 ? chosen : Object.keys(suites)) {
    records.push(...(await suites[name]()));
  }
  report(records);
  save(records);
  console.log('ratios saved to bench/results/latest.json');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
