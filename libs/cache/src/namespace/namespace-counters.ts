import { InvalidValueError } from '../errors/cache.error';
import { parseSetOptions } from '../options/call-options';
import type { SetOptions } from '../options/call-options.interface';
import { describe } from '../options/option-checks';
import type { NamespaceSettings } from '../options/resolved-options';
import type { TierStack } from '../stack/tier-stack';
import { assertKey } from '../values/validate-key';
import { createEntry } from './create-entry';
import { quoted } from '../logging/log-text';

/** The atomic counters of a namespace (`increment`, `decrement`). */
export class NamespaceCounters {
  constructor(
    private readonly settings: NamespaceSettings,
    private readonly stack: TierStack,
  ) {}

  /** See `NamespaceCache.increment`. */
  async increment(key: string, by: number, options: SetOptions | undefined): Promise<number> {
    assertKey(key);
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      throw new InvalidValueError(
        `increment(${quoted(key)}): by must be a finite number, got ${describe(by)}`,
      );
    }
    // A new counter takes this entry's expiry and metadata.
    const template = createEntry(this.settings, 0, parseSetOptions(options));
    // -0 (from decrement(key, 0)) would start a counter that only memory keeps negative.
    return this.stack.increment(key, by === 0 ? 0 : by, template);
  }
}
