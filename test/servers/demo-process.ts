import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port';

const FROM_SOURCES = [
  '-r',
  'ts-node/register/transpile-only',
  '-r',
  'tsconfig-paths/register',
  'apps/demo/src/main.ts',
];

/** The demo app in a child process, so a test can signal it as an orchestrator would. */
export class DemoProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /**
   * Starts the demo from its sources, or with `command` (e.g. `['npm', 'run', 'start:prod']`);
   * resolves once it listens.
   */
  static async start(
    env: Record<string, string>,
    command: string[] = [process.execPath, ...FROM_SOURCES],
  ): Promise<DemoProcess> {
    const port = await freePort();
    const root = join(__dirname, '..', '..');
    const child = spawn(command[0], command.slice(1), {
      cwd: root,
      // Servers only when the test names them: the embedded store and no Redis otherwise.
      env: { ...process.env, REDIS_URL: '', DATABASE_URL: '', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the demo did not start:\n${output}`)),
        60_000,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('demo listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${code}:\n${output}`));
      });
    });
    return new DemoProcess(child, `http://127.0.0.1:${port}`);
  }

  /** The process id of what was started (npm, when started through it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `signal` and waits for the process to exit; returns the exit code or signal. */
  stop(signal: NodeJS.Signals): Promise<number | NodeJS.Signals | null> {
    return new Promise((resolve) => {
      this.child.once('exit', (code, ended) => resolve(code ?? ended));
      this.child.kill(signal);
    });
  }
}
