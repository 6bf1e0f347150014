/** What a transport tells the bus. */
export interface TransportListener {
  /** A payload arrived on the channel (this instance's own included). */
  message(text: string): void;
  /**
   * Listening started (`up`, with the transport server's time when it did, in ms) or stopped.
   * Messages published while it was stopped may be lost.
   */
  status(up: boolean, serverTime?: number): void;
}

/** Which server carries the bus. */
export type BusTransportKind = 'redis' | 'postgres';

/**
 * Carries bus payloads between instances on one channel: Redis pub/sub or PostgreSQL
 * LISTEN/NOTIFY. It keeps its listening connection alive and reconnects on its own; the bus
 * above it does the rest (batching, sequence numbers, gaps).
 */
export interface BusTransport {
  readonly kind: BusTransportKind;
  /** The largest payload it carries, in UTF-8 bytes. */
  readonly maxPayloadBytes: number;
  /** Where it listens, for logs and `info()`. */
  readonly channel: string;
  /** Starts listening; resolves once it listens, or once its first attempt failed. */
  start(listener: TransportListener): Promise<void>;
  /** Sends `text` to every instance listening on the channel. */
  publish(text: string): Promise<void>;
  /** Stops listening and closes what it opened. */
  close(): Promise<void>;
}
