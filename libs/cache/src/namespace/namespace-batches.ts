import { InvalidOptionError } from '../errors/cache.error';
import { parseSetOptions } from '../options/call-options';
import type { SetOptions } from '../options/call-options.interface';
import { describe } from '../options/option-checks';
import type { NamespaceSettings } from '../options/resolved-options';
import type { TierStack } from '../stack/tier-stack';
import { assertKey, assertKeys } from '../values/validate-key';
import { createEntry } from './create-entry';
import { keysAt, readMemoryFirst } from './memory-first';
import type { NamespaceSignals } from './namespace-signals';

/**
 * The batch reads and writes of a namespace (`getMany`, `setMany`): memory first, then one call
 * to the shared tier for every key memory lacks; every entry checked before any is written.
 */
export class NamespaceBatches<V> {
  constructor(
    private readonly settings: NamespaceSettings,
    private readonly stack: TierStack,
    private readonly signals: NamespaceSignals,
  ) {}

  /** See `NamespaceCache.getMany`; throws a `CacheError` for a bad key. */
  getMany(keys: readonly string[]): Array<V | undefined> | Promise<Array<V | undefined>> {
    assertKeys(keys);
    const { values, below } = readMemoryFirst<V>(this.stack, this.signals, keys);
    if (below.length === 0) return values;
    const wanted = below.length === keys.length ? keys : keysAt(keys, below);
    // The values are filled in the shared tier call's own settlement.
    return this.stack.readManyThen(wanted, (entries) => {
      const now = Date.now();
      for (let j = 0; j < below.length; j++) {
        const index = below[j];
        values[index] = this.signals.found(keys[index], entries[j], now) as V | undefined;
      }
      return values;
    });
  }

  /** See `NamespaceCache.setMany`. */
  async setMany(entries: ReadonlyArray<readonly [string, V, SetOptions?]>): Promise<void> {
    if (!Array.isArray(entries)) {
      throw new InvalidOptionError('setMany: expected an array of [key, value, options?] tuples');
    }
    const prepared = entries.map((tuple: unknown, i) => {
      if (!Array.isArray(tuple)) {
        throw new InvalidOptionError(
          `entries[${i}]: expected a [key, value, options?] tuple, got ${describe(tuple)}`,
        );
      }
      const [key, value, options] = tuple as [string, V, SetOptions?];
      assertKey(key, `entries[${i}][0]`);
      const parsed = parseSetOptions(options, `entries[${i}][2]`);
      const entry = createEntry(this.settings, value, parsed, `entries[${i}][1]`);
      this.stack.admit(key, entry);
      return [key, entry] as const;
    });
    await this.stack.writeMany(prepared);
  }
}
