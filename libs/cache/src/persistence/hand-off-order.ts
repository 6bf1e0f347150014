import type { CacheEntry } from '../tiers/cache-entry';
import type {
  NamespacePersistence,
  PersistenceTurn,
  Recheck,
  SharedEntries,
} from './persistence-types';
import type { Removal } from './removal';

/**
 * Runs a reserved hand-off once every hand-off reserved before it has run. Without a place
 * reserved: `work` is left out and the place is freed.
 */
export type HandOff = <T>(work?: () => T, hold?: boolean) => Promise<Awaited<T> | undefined>;

/**
 * The order in which one namespace's changes reach persistence: the order its deciding tier
 * applied them. The stack reserves a place at the moment a change is applied (memory alone) or
 * sent (a shared tier applies one connection's commands in the order sent), and hands the change
 * over once it is done; a change that finishes early waits for the ones applied before it. Only
 * the synchronous part of a hand-off is waited for (marking dirty, queueing a row), never a row
 * being written, so a slow database never holds the order.
 */
export class HandOffOrder {
  private tail: Promise<void> = Promise.resolve();

  /** Reserves the next place. Every place must be used once, or freed by calling it empty. */
  reserve(): HandOff {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    // `hold`: the place is kept until `work` settles, not only its synchronous part.
    return async <T>(work?: () => T, hold = false): Promise<Awaited<T> | undefined> => {
      await previous;
      let result: T | undefined;
      try {
        result = work?.();
        if (hold) await Promise.resolve(result);
      } finally {
        release();
      }
      return Promise.resolve(result);
    };
  }
}

/** What one namespace's persistence does with each change, once its turn has come. */
export interface PersistenceSink {
  written(key: string, entry: CacheEntry): Promise<void>;
  removed(removal: Removal): Promise<void>;
  dropped(key: string): void;
  /** See `NamespacePersistence.follow`: not a change, so it takes no turn. */
  follow(shared: SharedEntries): void;
}

/** A namespace's persistence whose changes reach `sink` in the order their turns were taken. */
export function inOrder(sink: PersistenceSink): NamespacePersistence {
  const order = new HandOffOrder();
  /** The keys written since each rechecked removal's place, until its recheck. */
  const windows = new Set<Set<string>>();
  const rechecked = async (handOff: HandOff, removal: Removal, recheck: Recheck): Promise<void> => {
    // Reserved now, once the removal is done: after every write sent while it ran.
    const end = order.reserve();
    const since = new Set<string>();
    const removing = handOff(() => {
      windows.add(since);
      return sink.removed(removal);
    });
    const checking = end(async () => {
      windows.delete(since);
      if (since.size === 0) return;
      const gone = await recheck([...since]).catch(() => []);
      if (gone.length > 0) await sink.removed({ keys: gone });
    }, true);
    await Promise.all([removing, checking]);
  };
  const turn = (): PersistenceTurn => {
    const handOff = order.reserve();
    return {
      written: async (key, entry) => {
        await handOff(() => {
          for (const since of windows) since.add(key);
          return sink.written(key, entry);
        });
      },
      removed: async (removal, recheck) => {
        if (recheck) await rechecked(handOff, removal, recheck);
        else await handOff(() => sink.removed(removal));
      },
      skip: () => void handOff(),
    };
  };
  return {
    turn,
    written: (key, entry) => turn().written(key, entry),
    removed: (removal) => turn().removed(removal),
    dropped: async (key) => {
      await order.reserve()(() => sink.dropped(key));
    },
    follow: (shared) => sink.follow(shared),
  };
}
