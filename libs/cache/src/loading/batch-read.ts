import { keysAt, readMemoryFirst } from '../namespace/memory-first';
import type { NamespaceSignals } from '../namespace/namespace-signals';
import type { FarBudget } from '../stack/far-budget';
import type { TierStack } from '../stack/tier-stack';
import type { LoadTicket } from '../tiers/cache-tier.interface';

/** What a batch's first read found: a value per key (undefined: to load), tickets by key. */
export interface BatchRead<V> {
  readonly values: Array<V | undefined>;
  readonly tickets: Map<string, LoadTicket>;
}

/**
 * A batch's first read, counted like `getMany`: memory (`readMemoryFirst`), then the rest in one
 * read of the shared tier that also takes their tickets, so a store undoes nothing any instance writes or
 * deletes while the batch loads. Memory hits are not loaded and need none.
 */
export async function readBatch<V>(
  stack: TierStack,
  signals: NamespaceSignals,
  keys: readonly string[],
  budget: FarBudget | undefined,
): Promise<BatchRead<V>> {
  const { values, below } = readMemoryFirst<V>(stack, signals, keys);
  const tickets = new Map<string, LoadTicket>();
  if (below.length === 0) return { values, tickets };
  const reads = await stack.readManyForLoad(keysAt(keys, below), budget);
  const now = Date.now();
  for (let j = 0; j < below.length; j++) {
    const index = below[j];
    const { entry, ticket } = reads[j];
    if (ticket !== undefined) tickets.set(keys[index], ticket);
    values[index] = signals.found(keys[index], entry, now) as V | undefined;
  }
  return { values, tickets };
}
