import type { NamespaceChannel } from '../bus/namespace-channel';
import type { NamespacePersistence } from '../persistence/persistence-manager';
import type { MemoryTier } from '../tiers/memory.tier';
import { FarGuard } from './far-guard';
import { sharedEntries } from './persistence-turn';
import { ReadVersion } from './read-version';
import type { NamespaceTiers, StackListener } from './stack-types';

/**
 * A namespace's tiers as its stack holds them, shared by the stack's reads, writes, removals and
 * atomics: the shared tier behind its guard, and the one read version they all check or move.
 */
export interface StackTiers {
  readonly name: string;
  readonly near: MemoryTier | undefined;
  readonly far: FarGuard | undefined;
  readonly channel: NamespaceChannel | undefined;
  readonly persistence: NamespacePersistence | undefined;
  readonly version: ReadVersion;
  readonly listener: StackListener;
}

/**
 * Puts the shared tier behind its guard (faults reported to `listener`) and tells `listener` of
 * the keys other instances' changes drop from memory.
 */
export function holdTiers(
  name: string,
  tiers: NamespaceTiers,
  listener: StackListener,
): StackTiers {
  const channel = tiers.channel;
  channel?.onDropped((keys) => listener.dropped(keys));
  const far =
    tiers.far &&
    new FarGuard(tiers.far, name, tiers.breaker, tiers.strict ?? false, (op, error, key) =>
      listener.fault(op, error, key),
    );
  // Other instances change the shared tier too: the rows written here follow what it holds.
  if (far) tiers.persistence?.follow(sharedEntries(far));
  return {
    name,
    near: tiers.near,
    far,
    channel,
    persistence: tiers.persistence,
    version: new ReadVersion(channel),
    listener,
  };
}
