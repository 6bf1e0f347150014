import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One operation under test, called with a running counter. */
export type Operation = (i: number) => unknown;

/** A measured result against one peer, as stored in `bench/results/latest.json`. */
export interface BenchRecord {
  /** The case; its first word is the suite that measures it, a trailing `(unit)` its unit. */
  name: string;
  opsPerSec: number;
  peer: string;
  peerOpsPerSec: number;
  /** `opsPerSec / peerOpsPerSec`, two decimals. */
  ratio: number;
  measuredAt: string;
}

/** Where every suite merges its records. */
export const RESULTS = join(__dirname, 'results', 'latest.json');

/**
 * `BENCH_QUICK=1`: shorter and fewer rounds, to check that a suite runs on a busy machine. The
 * data sizes stay the same, so the cases keep their names; the numbers are rougher.
 */
export const QUICK = !['', '0', 'false'].includes(process.env.BENCH_QUICK ?? '');

const TIMING = QUICK
  ? { warmupMs: 50, roundMs: 100, rounds: 3 }
  : { warmupMs: 500, roundMs: 400, rounds: 7 };

/** Calls `operation` in a loop for `ms` ms; its number of calls, or calls per second. */
type Runner = (
  operation: Operation,
  ms: number,
  offset: number,
  countOnly: boolean,
) => Promise<number>;

const RUNNER_SOURCE = `
  const batch = countOnly ? 50 : 2000;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1000000n;
  let done = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) await operation(offset + done + i);
    done += batch;
    now = process.hrtime.bigint();
  }
  return countOnly ? done : (done * 1e9) / Number(now - start);
`;

/**
 * A runner of its own for each contender: compiled from source, so its call site sees one
 * operation only. A loop shared by all contenders would be trained by whichever ran first, and
 * the others would run through a call site that no longer fits them, so each result depended
 * on the order of the contenders.
 */
function newRunner(): Runner {
  const prototype = Object.getPrototypeOf(async () => undefined) as { constructor: unknown };
  const AsyncFunction = prototype.constructor as new (...args: string[]) => Runner;
  return new AsyncFunction('operation', 'ms', 'offset', 'countOnly', RUNNER_SOURCE);
}

/**
 * Every round starts on a collected heap (`npm run bench` exposes gc): otherwise the garbage one
 * contender leaves (setup's, or a peer's that allocates much) is collected during the next
 * contender's round and charged to it.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** `concurrency` callers, each awaiting one call after another; total calls per second. */
async function runConcurrently(
  runner: Runner,
  operation: Operation,
  concurrency: number,
  ms: number,
): Promise<number> {
  if (concurrency === 1) return runner(operation, ms, 0, false);
  const start = process.hrtime.bigint();
  const counts = await Promise.all(
    Array.from({ length: concurrency }, (_, worker) =>
      runner(operation, ms, worker * 1_000_003, true),
    ),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return counts.reduce((sum, count) => sum + count, 0) / elapsed;
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
): Promise<BenchRecord[]> {
  const contenders = [subject, ...Object.values(peers)];
  const runners = contenders.map(newRunner);

  const samples = contenders.map(() => [] as number[]);
  for (const [i, operation] of contenders.entries()) {
    collectGarbage();
    await runConcurrently(runners[i], operation, concurrency, TIMING.warmupMs);
  }
  for (let round = 0; round < TIMING.rounds; round++) {
    for (const [i, operation] of contenders.entries()) {
      collectGarbage();
      samples[i].push(await runConcurrently(runners[i], operation, concurrency, TIMING.roundMs));
    }
  }
  const [subjectOps, ...peerOps] = samples.map(median);
  return Object.keys(peers).map((peer, i) => record(name, subjectOps, peer, peerOps[i]));
}

/** One record of `name` against `peer`, rounded as `latest.json` keeps them. */
export function record(
  name: string,
  opsPerSec: number,
  peer: string,
  peerOpsPerSec: number,
): BenchRecord {
  return {
    name,
    opsPerSec: Math.round(opsPerSec),
    peer,
    peerOpsPerSec: Math.round(peerOpsPerSec),
    ratio: Number((opsPerSec / peerOpsPerSec).toFixed(2)),
    measuredAt: new Date().toISOString(),
  };
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * For each case and peer, the record of the process whose ratio is the median: its two rates
 * come from one process, so they still divide to its ratio.
 */
export function medianRecords(runs: ReadonlyArray<readonly BenchRecord[]>): BenchRecord[] {
  return runs[0].map((first) => {
    const same = runs
      .map((records) => records.find((r) => r.name === first.name && r.peer === first.peer))
      .filter((record): record is BenchRecord => record !== undefined)
      .sort((a, b) => a.ratio - b.ratio);
    return same[Math.floor(same.length / 2)];
  });
}

/** Seconds since `start` (a `process.hrtime.bigint()` reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
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

/** The suite a case belongs to: the first word of its name. */
export function suiteOf(name: string): string {
  return name.split(' ', 1)[0];
}

/** The records in `bench/results/latest.json`, or none when there is no such file. */
export function readResults(file = RESULTS): BenchRecord[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchRecord[]) : [];
}

/**
 * Merges records into `bench/results/latest.json`: the suites in `ran` replace all their earlier
 * records (so a renamed or dropped case does not linger); other `known` suites' records stay, and
 * records of no known suite go.
 */
export function save(
  records: readonly BenchRecord[],
  ran: readonly string[],
  known: readonly string[],
  file = RESULTS,
): void {
  const kept = readResults(file).filter((old) => {
    const suite = suiteOf(old.name);
    return known.includes(suite) && !ran.includes(suite);
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify([...kept, ...records], null, 2)}\n`);
}
