import type { DemoClient } from './demo-client';

/** One server-sent event. */
export interface DemoEvent {
  type: string;
  data: unknown;
}

/** A server-sent event stream of the demo, read event by event. */
export class DemoEventStream {
  private readonly events: DemoEvent[] = [];
  private readonly waiters: Array<() => void> = [];
  private ended = false;

  private constructor(private readonly abort: AbortController) {}

  /** Opens `path` as `client` and resolves once the response headers arrived. */
  static async open(client: DemoClient, path: string): Promise<DemoEventStream> {
    const abort = new AbortController();
    const response = await fetch(`${client.base}${path}`, {
      headers: { authorization: `Bearer ${client.token}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (response.status !== 200 || !response.body)
      throw new Error(`${path}: ${response.status} ${await response.text()}`);
    const stream = new DemoEventStream(abort);
    void stream.read(response.body);
    return stream;
  }

  /** The next event not yet taken; fails if the stream ends first. */
  async next(): Promise<DemoEvent> {
    while (this.events.length === 0) {
      if (this.ended) throw new Error('the event stream ended');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.events.shift() as DemoEvent;
  }

  /** Resolves when the server ended the stream. */
  async end(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.abort.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by `close`.
    }
    this.ended = true;
    this.wake();
  }

  private parse(block: string): void {
    let type = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    this.events.push({ type, data: data ? JSON.parse(data) : undefined });
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
