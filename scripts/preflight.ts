/**
 * Runs before `npm test` (its `pretest`): the tests need redis-server, openssl (the TLS test),
 * Chromium (the dashboard test) and a PostgreSQL that answers at DATABASE_URL. What is missing is
 * installed with apt-get when this machine allows it (root on Debian or Ubuntu); otherwise the
 * run stops at once with the exact command to run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Client } from 'pg';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The Debian packages whose programs the tests run and that this machine lacks. */
function missingPackages(): string[] {
  const missing: string[] = [];
  if (!onPath('redis-server')) missing.push('redis-server');
  if (!onPath('openssl')) missing.push('openssl');
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  return missing;
}

function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

async function postgresAnswers(): Promise<string | undefined> {
  const client = new Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function stop(message: string): never {
  console.error(`\nnpm test cannot run here yet: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let missing = missingPackages();
  if (missing.length > 0) {
    const install = `apt-get install -y ${missing.join(' ')}`;
    const command = `apt-get update && ${install}`;
    const root = process.getuid?.() === 0;
    if (!root || !onPath('apt-get'))
      stop(`missing ${missing.join(', ')}; run:\n  sudo apt-get update && sudo ${install}`);
    console.log(`installing what the tests need: ${command}`);
    execFileSync('sh', ['-c', command], { stdio: 'inherit' });
    missing = missingPackages();
    if (missing.length > 0) stop(`still missing ${missing.join(', ')} after apt-get`);
  }
  const down = await postgresAnswers();
  if (down !== undefined)
    stop(
      `PostgreSQL does not answer at ${DATABASE_URL} (${down}); start it (e.g.\n` +
        `  sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n 1) main start\n` +
        `) or set DATABASE_URL to a server where the tests may create and drop databases`,
    );
}

void main();
