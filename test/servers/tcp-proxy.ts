import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port';

/**
 * A TCP proxy in front of a server, so a test can cut the link (as if the server died) and
 * restore it, without touching a server other tests share.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Milliseconds each chunk waits before it is passed on (a slow network). */
  delay = 0;
  /** While true, nothing passes either way (a server that hangs without closing). */
  private frozen = false;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.open();
    return proxy;
  }

  /** Accepts connections again. */
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      if (this.frozen) for (const socket of [client, upstream]) socket.pause();
      const relay = (from: Socket, to: Socket): void => {
        from.on('data', (chunk: Buffer) => {
          if (this.delay === 0) to.write(chunk);
          else setTimeout(() => to.writable && to.write(chunk), this.delay);
        });
        from.on('end', () => to.end());
      };
      relay(client, upstream);
      relay(upstream, client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Stops passing bytes on every connection, old and new, without closing any (a hung server). */
  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) socket.pause();
  }

  /** Passes bytes again, those held meanwhile first. */
  thaw(): void {
    this.frozen = false;
    for (const socket of this.sockets) socket.resume();
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
