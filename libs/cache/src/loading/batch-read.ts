import type { NamespaceSignals } from '../namespace/namespace-signals';
import type { FarBudget } from '../stack/far-budget';
import type { TierStack } from '../stack/tier-stack';
import { isStale } from '../tiers/cache-entry';
import type { LoadTicket } from '../tiers/cache-tier.interface';

/** What a batch's first read found: a value per key (undefined: to load), tickets by key. */
export interface BatchRead<V> {
  readonly values: Array<V | undefined>;
  readonly tickets: Map<string, LoadTicket>;
}

/**
 * A batch's first read, counted like `getMany`: memory, then the rest in one read of the
 * shared tier that also takes their tickets, so a store undoes nothing any instance writes or
 * deletes while the batch loads. Memory hits are not loaded and need none.
 */
export async function readBatch<V>(
  stack: TierStack,
  signals: NamespaceSignals,
  keys: readonly string[],
  budget: FarBudget | undefined,
): Promise<BatchRead<V>> {
  const values = new Array<V | undefined>(keys.length);
  const tickets = new Map<string, LoadTicket>();
  const below: number[] = [];
  keys.forEach((key, i) => {
    const near = stack.freshNear(key);
    if (near !== undefined) values[i] = signals.hit(key, near) as V;
    else below.push(i);
  });
  if (below.length === 0) return { values, tickets };
  const reads = await stack.readManyForLoad(
    below.map((i) => keys[i]),
    budget,
  );
  const now = Date.now();
  below.forEach((index, j) => {
    const key = keys[index];
    const { entry, ticket } = reads[j];
    if (ticket !== undefined) tickets.set(key, ticket);
    values[index] =
      entry === undefined || isStale(entry, now)
        ? signals.miss(key)
        : (signals.hit(key, entry) as V);
  });
  return { values, tickets };
}
