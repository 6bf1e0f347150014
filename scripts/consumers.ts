/**
 * The consumer apps of consumers/: each a standalone Nest app pinned to one stack by its own
 * package.json and lockfile. They are copied to a clean directory outside the workspace (so
 * nothing resolves from the workspace's node_modules), installed with `npm ci` plus the packed
 * package, compiled by their own TypeScript, then booted. test/consumers.e2e-spec.ts drives them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPackage, packPackage } from './build-package';

/** Where the consumer apps live in the workspace. */
export const CONSUMERS_DIR = resolve(__dirname, '../consumers');

/**
 * The npm cache the installs share: NPM_CONFIG_CACHE when set, else one under the system's
 * temporary directory, kept between runs so a rerun downloads nothing.
 */
export const NPM_CACHE = process.env.NPM_CONFIG_CACHE ?? join(tmpdir(), 'nest-tiered-cache-npm');

/** The consumer apps' names (their folders). */
export function consumerNames(): string[] {
  return readdirSync(CONSUMERS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Builds and packs the package once into a fresh directory; returns the tarball's path. */
export function packForConsumers(): string {
  buildPackage();
  return packPackage(mkdtempSync(join(tmpdir(), 'nest-tiered-cache-pack-')));
}

/**
 * Copies consumer `name` into `workDir`, installs its lockfile and `tarball`, and compiles it;
 * returns its directory. Fails with the output of the step that failed.
 */
export async function installConsumer(
  name: string,
  tarball: string,
  workDir: string,
): Promise<string> {
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(CONSUMERS_DIR, name), dir, {
    recursive: true,
    filter: (source) => !/[\\/](node_modules|dist)$/.test(source),
  });
  const npm = ['--prefer-offline', '--no-audit', '--no-fund', '--cache', NPM_CACHE];
  await run('npm', ['ci', ...npm], dir);
  await run('npm', ['install', ...npm, tarball], dir);
  await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], dir);
  return dir;
}

/**
 * npm's settings for commands written without flags (the README's): the shared cache, no audit
 * or funding notes.
 */
export const NPM_ENV: Record<string, string> = {
  npm_config_cache: NPM_CACHE,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
};

/**
 * Runs a command in `cwd` with a user's environment plus `env`; resolves with its output,
 * rejects with it on a non-zero exit.
 */
export function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code === 0) done(output);
      else
        fail(new Error(`${command} ${args.join(' ')} in ${cwd} exited with ${code}:\n${output}`));
    });
  });
}

/** A booted consumer app: its URL, and everything it printed. */
export class ConsumerProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** Boots `node dist/main.js` in `dir` with `env`, and waits for its "listening on" line. */
  static start(dir: string, env: Record<string, string>): Promise<ConsumerProcess> {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: { ...cleanEnv(), NO_COLOR: '1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    return new Promise((done, fail) => {
      const exited = (code: number | null): void =>
        fail(new Error(`the app in ${dir} exited (${code}) before listening:\n${output}`));
      const collect = (chunk: Buffer): void => {
        output += chunk.toString();
        const listening = /listening on (http:\/\/\S+)/.exec(output);
        if (!listening) return;
        child.off('exit', exited);
        const app = new ConsumerProcess(child, listening[1].replace('[::1]', '127.0.0.1'));
        app.output = output;
        child.stdout?.off('data', collect);
        child.stderr?.off('data', collect);
        child.stdout?.on('data', (more: Buffer) => (app.output += more.toString()));
        child.stderr?.on('data', (more: Buffer) => (app.output += more.toString()));
        done(app);
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      child.once('exit', exited);
    });
  }

  /** What it printed so far. */
  get log(): string {
    return this.output;
  }

  /** SIGTERM, as a process manager stops it; resolves with everything it printed. */
  async stop(): Promise<string> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((done) => {
        this.child.once('exit', () => done());
        this.child.kill('SIGTERM');
      });
    }
    return this.output;
  }
}

/** The environment without the workspace's npm and Node settings, as a user's shell has it. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(npm_|NODE_OPTIONS$|NODE_PATH$|TS_NODE|JEST|INIT_CWD$)/i.test(key),
    ),
  );
}
