import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One operation under test, called with a running counter. */
export type Operation = (i: number) => unknown;

/** A measured result against one peer, as stored in `bench/results/latest.json`. */
export interface BenchRecord {
  name: string;
  opsPerSec: number;
  peer: string;
  peerOpsPerSec: number;
  ratio: number;
  measuredAt: string;
}

const RESULTS = join(__dirname, 'results', 'latest.json');

/** `concurrency` callers, each awaiting one call after another; total calls per second. */
async function runConcurrently(
  operation: Operation,
  concurrency: number,
  ms: number,
): Promise<number> {
  if (concurrency === 1) return runFor(operation, ms, 0);
  const start = process.hrtime.bigint();
  const counts = await Promise.all(
    Array.from({ length: concurrency }, (_, worker) =>
      runFor(operation, ms, worker * 1_000_003, true),
    ),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return counts.reduce((sum, count) => sum + count, 0) / elapsed;
}

async function runFor(
  operation: Operation,
  ms: number,
  offset: number,
  countOnly = false,
): Promise<number> {
  const batch = countOnly ? 50 : 2000;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let done = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) await operation(offset + done + i);
    done += batch;
    now = process.hrtime.bigint();
  }
  return countOnly ? done : (done * 1e9) / Number(now - start);
}

/**
 * Measures `subject` and each peer in alternating rounds in one process (so drift in the machine
 * or the server affects all alike) and returns one record per peer, from the median rounds.
 */
export async function compare(
  name: string,
  subject: Operation,
  peers: Record<string, Operation>,
  concurrency = 1,
  rounds = 5,
): Promise<BenchRecord[]> {
  const contenders = [subject, ...Object.values(peers)];
  const samples = contenders.map(() => [] as number[]);
  for (const operation of contenders) await runConcurrently(operation, concurrency, 100);
  for (let round = 0; round < rounds; round++) {
    for (const [i, operation] of contenders.entries()) {
      samples[i].push(await runConcurrently(operation, concurrency, 300));
    }
  }
  const [subjectOps, ...peerOps] = samples.map(median);
  return Object.keys(peers).map((peer, i) => ({
    name,
    opsPerSec: Math.round(subjectOps),
    peer,
    peerOpsPerSec: Math.round(peerOps[i]),
    ratio: Number((subjectOps / peerOps[i]).toFixed(2)),
    measuredAt: new Date().toISOString(),
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Prints records as a table. */
export function report(records: readonly BenchRecord[]): void {
  console.table(
    records.map((r) => ({
      case: r.name,
      'ops/s': r.opsPerSec.toLocaleString('en-US'),
      peer: r.peer,
      'peer ops/s': r.peerOpsPerSec.toLocaleString('en-US'),
      ratio: `${r.ratio}x`,
    })),
  );
}

/** Merges records into `bench/results/latest.json`, replacing earlier ones of the same case and peer. */
export function save(records: readonly BenchRecord[]): void {
  const existing: BenchRecord[] = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as BenchRecord[])
    : [];
  const kept = existing.filter(
    (old) => !records.some((r) => r.name === old.name && r.peer === old.peer),
  );
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify([...kept, ...records], null, 2)}\n`);
}
