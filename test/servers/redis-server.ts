import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/**
 * A throwaway `redis-server` on a free port, so a test may stop, kill and restart it. Fails
 * with a clear message when the binary is missing (CI installs it).
 */
export class RedisServer {
  private process?: ChildProcess;
  /** What the running server printed so far. */
  private log = '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'cache-redis-'));

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
    private readonly config?: string,
  ) {}

  /**
   * Starts a Sentinel watching the master at `masterPort` under the name `name`. Alone, with a
   * quorum of one, it may fail over on its own: one second without an answer marks the master
   * down, and a replica it learnt of from the master is promoted.
   */
  static async startSentinel(masterPort: number, name = 'cachemaster'): Promise<RedisServer> {
    const port = await freePort();
    const config = [
      `port ${port}`,
      `bind 127.0.0.1`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
    ].join('\n');
    const server = new RedisServer(port, ['--sentinel'], config);
    await server.launch();
    return server;
  }

  /**
   * Starts a replica of the server at `masterPort`, resolved once it has loaded the master's
   * data (the replication link is up).
   */
  static async startReplica(masterPort: number): Promise<RedisServer> {
    // A master waits 5 s by default for more replicas before it streams its data to one.
    spawnSync('redis-cli', [
      '-p',
      String(masterPort),
      'config',
      'set',
      'repl-diskless-sync-delay',
      '0',
    ]);
    const server = await RedisServer.start(['--replicaof', '127.0.0.1', String(masterPort)]);
    await server.waitForLog('MASTER <-> REPLICA sync: Finished with success');
    return server;
  }

  /** Starts a server; `extraArgs` go to redis-server as they are. */
  static async start(extraArgs: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extraArgs);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it again on the same port, empty. */
  async restart(): Promise<void> {
    await this.launch();
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops it and removes its files. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Resolves once the server has printed `text` (since it started), or fails after 10 s. */
  waitForLog(text: string): Promise<void> {
    if (this.log.includes(text)) return Promise.resolve();
    const child = this.process;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child?.stdout?.off('data', onData);
        reject(new Error(`redis-server did not print "${text}":\n${this.log}`));
      }, 10_000);
      const onData = (): void => {
        if (!this.log.includes(text)) return;
        clearTimeout(timer);
        child?.stdout?.off('data', onData);
        resolve();
      };
      child?.stdout?.on('data', onData);
    });
  }

  private writeConfig(config: string): string {
    const path = join(this.dir, 'redis.conf');
    writeFileSync(path, `${config}\n`);
    return path;
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  private launch(): Promise<void> {
    const args =
      this.config === undefined
        ? ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
        : [this.writeConfig(this.config)];
    args.push('--dir', this.dir, ...this.extraArgs);
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.process = child;
    this.log = '';
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${output}`)),
        10_000,
      );
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new Error(
            `cannot run redis-server (${error.message}); install it: apt-get install -y redis-server`,
          ),
        );
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (
          output.includes(
            this.config === undefined ? 'Ready to accept connections' : '+monitor master',
          )
        ) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }
}

/** A three-master Redis Cluster made of throwaway servers. */
export class RedisClusterServers {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(size = 3): Promise<RedisClusterServers> {
    const nodes: RedisServer[] = [];
    for (let i = 0; i < size; i++) {
      nodes.push(
        await RedisServer.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
        ]),
      );
    }
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0)
      throw new Error(`cluster create failed:\n${created.stdout}${created.stderr}`);
    const cluster = new RedisClusterServers(nodes);
    await cluster.waitUntilReady();
    return cluster;
  }

  /** Seed nodes for ioredis. */
  get seeds(): Array<{ host: string; port: number }> {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.stop();
  }

  private async waitUntilReady(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const ok = this.nodes.every((node) => {
        const info = spawnSync('redis-cli', ['-p', String(node.port), 'cluster', 'info'], {
          encoding: 'utf8',
        });
        return info.stdout.includes('cluster_state:ok');
      });
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the Redis Cluster did not become ready');
  }
}
