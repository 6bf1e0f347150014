import type { CacheTier } from './cache-tier.interface';
import { describeTierAtomics } from './tier-atomics.contract';
import type { TierContract } from './tier-fixture.contract';
import { describeTierGrace } from './tier-grace.contract';
import { describeTierReads } from './tier-reads.contract';
import { describeTierRemovals } from './tier-removals.contract';

export { entryOf } from './tier-fixture.contract';

/**
 * The behaviour every tier must have. Each tier's spec calls this with a factory that returns
 * a fresh, empty tier scoped to one namespace, and a way to move the tier's clock past expiry.
 * The cases sit in one file per behaviour: reads, grace, read-modify-writes, removals.
 */
export function describeTierContract(
  name: string,
  setup: {
    create: (namespace: string) => Promise<CacheTier> | CacheTier;
    /** Makes `ms` milliseconds pass for the tier. */
    advance: (ms: number) => Promise<void> | void;
  },
): void {
  describe(`${name} tier contract`, () => {
    const opened: CacheTier[] = [];
    const open = async (namespace = 'ns'): Promise<CacheTier> => {
      const created = await setup.create(namespace);
      opened.push(created);
      return created;
    };
    const contract: { tier: CacheTier } & TierContract = {
      tier: undefined as unknown as CacheTier,
      open,
      advance: (ms) => setup.advance(ms),
    };

    beforeEach(async () => {
      contract.tier = await open();
    });

    afterEach(async () => {
      for (const each of opened.splice(0)) {
        await each.clear();
        await each.close();
      }
    });

    describeTierReads(contract);
    describeTierGrace(contract);
    describeTierAtomics(contract);
    describeTierRemovals(contract);
  });
}
