import type { NamespaceChannel } from '../bus/namespace-channel';
import type { Removal } from '../persistence/persistence-manager';
import type { Recheck } from '../persistence/persistence-types';
import type { Awaitable, CacheTier } from '../tiers/cache-tier.interface';
import { keysOf, type RemovedKeys } from '../tiers/removed-keys';
import { inTurn, missingFrom } from './persistence-turn';
import type { StackTiers } from './stack-tiers';

const NONE: RemovedKeys = { held: [], stale: [] };

/**
 * The removals of a namespace's stack: keys, tags, a glob, everything. Each runs in three steps
 * (memory, the shared tier, memory again) so that a read in flight cannot put back what it
 * removes, is told to other instances, and reaches persistence in the turn it took when it began,
 * with what the table drops (`tableRemoval`).
 */
export class StackRemovals {
  constructor(private readonly tiers: StackTiers) {}

  /** Deletes `keys`; returns the ones that held a value (stale ones apart). */
  delete(keys: readonly string[]): Promise<RemovedKeys> {
    const { near } = this.tiers;
    return this.removeKeys(
      { keys },
      () =>
        this.invalidate(
          'delete',
          keys.length === 1 ? keys[0] : undefined,
          () => near?.delete(keys) ?? NONE,
          (tier) => tier.delete(keys),
          (channel) => channel.keys(keys),
        ),
      () => [{ keys }],
    );
  }

  /** Deletes every entry carrying any of `tags`; returns their keys. */
  deleteByTags(tags: readonly string[]): Promise<RemovedKeys> {
    const { near } = this.tiers;
    return this.removeKeys(
      { tags },
      () =>
        this.invalidate(
          'invalidateTags',
          undefined,
          () => near?.deleteByTags(tags) ?? NONE,
          (tier) => tier.deleteByTags(tags),
          (channel) => channel.tags(tags),
        ),
      (keys) => [this.tableRemoval(keys, { tags })],
    );
  }

  /** Deletes every entry whose key matches `glob`; returns their keys. */
  deleteMatching(glob: string): Promise<RemovedKeys> {
    const { near, far } = this.tiers;
    return this.removeKeys(
      { glob },
      () =>
        this.invalidate(
          'invalidatePattern',
          undefined,
          () => near?.deleteMatching(glob) ?? NONE,
          (tier) => tier.deleteMatching(glob),
          (channel) => channel.pattern(glob),
        ),
      (keys) => {
        // The shared tier deletes in several steps (SCAN, then delete): a write that raced it
        // and is gone again must leave the table too.
        const deleted = new Set(keys);
        return [
          this.tableRemoval(keys, { glob }),
          far &&
            ((written) =>
              missingFrom(
                far,
                written.filter((key) => deleted.has(key)),
              )),
        ];
      },
    );
  }

  /** Deletes every entry of the namespace; returns how many held a live value (stale ones apart). */
  async clear(): Promise<number> {
    const { near, far, persistence, listener } = this.tiers;
    listener.removing({ all: true });
    // Who listens hears of the keys memory held; a shared tier does not list what it clears.
    const held = near?.liveKeys() ?? [];
    const turn = persistence?.turn();
    const count = await inTurn(turn, () =>
      this.invalidate(
        'clear',
        undefined,
        () => near?.clear() ?? 0,
        (tier) => tier.clear(),
        (channel) => channel.clear(),
      ),
    );
    listener.cleared(count, held);
    await turn?.removed({ all: true }, far && ((written) => missingFrom(far, written)));
    return count;
  }

  /**
   * A removal of keys in the order every one takes: loads it covers are told first, it runs in
   * the persistence turn taken as it begins, listeners hear of the keys it deleted, and the
   * table drops what `toTable` says (with a recheck of the writes that raced it, if any).
   */
  private async removeKeys(
    rule: Removal,
    run: () => Promise<RemovedKeys>,
    toTable: (keys: readonly string[]) => [Removal, Recheck?],
  ): Promise<RemovedKeys> {
    const { persistence, listener } = this.tiers;
    listener.removing(rule);
    const turn = persistence?.turn();
    const removed = await inTurn(turn, run);
    listener.removed(removed);
    // Stale rows go too: a table row left within its grace period would come back at a warm start.
    await turn?.removed(...toTable(keysOf(removed)));
    return removed;
  }

  /**
   * Removes from memory, then the shared tier, then memory again, moving the read version on
   * both sides: a read in flight meanwhile cannot put back what is being removed. Other instances
   * are told even when the shared tier failed, since the change may have landed.
   */
  private async invalidate<T>(
    operation: string,
    key: string | undefined,
    onNear: () => T,
    onFar: (far: CacheTier) => Awaitable<T>,
    announce: (channel: NamespaceChannel) => void,
  ): Promise<T> {
    const { far, channel, version } = this.tiers;
    version.move();
    const nearResult = onNear();
    if (!far) return nearResult;
    try {
      return await far.call(operation, key, onFar, () => nearResult);
    } finally {
      // Strict mode throws here too: the removal may have landed all the same.
      version.move();
      onNear();
      if (channel) announce(channel);
    }
  }

  /**
   * What a removal drops from the table. A shared tier never evicts, so the keys it deleted are
   * exactly the rows to drop (and a row written since, with the same tag, stays). Memory alone
   * may have evicted entries whose rows remain: those go by tag or glob.
   */
  private tableRemoval(keys: readonly string[], byRule: Removal): Removal {
    return this.tiers.far ? { keys } : { ...byRule, held: keys };
  }
}
