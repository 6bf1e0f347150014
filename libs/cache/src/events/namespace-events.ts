import { Logger } from '@nestjs/common';
import { InvalidOptionError } from '../errors/cache.error';
import { loggedMessage } from '../logging/log-text';
import { describe } from '../options/option-checks';

/** Payload of every namespace event but `error`. */
export interface CacheKeyEvent {
  readonly namespace: string;
  readonly key: string;
}

/** Payload of the `error` event: a fault the cache absorbed instead of throwing. */
export interface CacheErrorEvent {
  readonly namespace: string;
  readonly operation: string;
  readonly error: Error;
  readonly key?: string;
}

/** Events a `NamespaceCache` emits, by name. */
export interface NamespaceCacheEvents {
  hit: CacheKeyEvent;
  miss: CacheKeyEvent;
  set: CacheKeyEvent;
  delete: CacheKeyEvent;
  evict: CacheKeyEvent;
  expire: CacheKeyEvent;
  error: CacheErrorEvent;
}

/** A namespace event name. */
export type NamespaceCacheEvent = keyof NamespaceCacheEvents;

/** A listener of event `E`. */
export type NamespaceCacheListener<E extends NamespaceCacheEvent> = (
  payload: NamespaceCacheEvents[E],
) => void;

type ListenerSets = { [E in NamespaceCacheEvent]?: Set<NamespaceCacheListener<E>> };

/** Every event a namespace emits: a name outside it (a typo) would never fire. */
const EVENTS: ReadonlySet<string> = new Set<NamespaceCacheEvent>([
  'hit',
  'miss',
  'set',
  'delete',
  'evict',
  'expire',
  'error',
]);

/**
 * A typed emitter. Unlike Node's EventEmitter, a listener that throws is logged and never breaks
 * the cache call that emitted, and `error` without listeners is not thrown. `listens()` lets the
 * hot path skip building payloads nobody reads.
 */
export class NamespaceEvents {
  private static readonly logger = new Logger('CacheEvents');
  private readonly listeners: ListenerSets = {};

  /** Subscribes; returns the function that unsubscribes. An unknown event or a listener that is
   * not a function is refused, naming what is wrong. */
  on<E extends NamespaceCacheEvent>(event: E, listener: NamespaceCacheListener<E>): () => void {
    if (!EVENTS.has(event)) {
      throw new InvalidOptionError(
        `on(event): ${describe(event)} is not an event; one of ${[...EVENTS].join(', ')}`,
      );
    }
    if (typeof listener !== 'function') {
      throw new InvalidOptionError(`on(${describe(event)}, listener): expected a function`);
    }
    const sets = this.listeners as { [K in E]?: Set<NamespaceCacheListener<E>> };
    const set = (sets[event] ??= new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  listens(event: NamespaceCacheEvent): boolean {
    const set = this.listeners[event];
    return set !== undefined && set.size > 0;
  }

  emit<E extends NamespaceCacheEvent>(event: E, payload: NamespaceCacheEvents[E]): void {
    const set = (this.listeners as { [K in E]?: Set<NamespaceCacheListener<E>> })[event];
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        NamespaceEvents.logger.error(`a "${event}" listener threw: ${loggedMessage(error)}`);
      }
    }
  }

  removeAll(): void {
    for (const event of Object.keys(this.listeners) as NamespaceCacheEvent[]) {
      this.listeners[event]?.clear();
    }
  }
}
