import { expectKnownKeys, expectObject, expectPositiveInteger } from './option-checks';
import type { ResolvedCacheOptions } from './resolved-options';

const MEMORY_KEYS = ['maxEntries', 'maxBytes'] as const;

/** Validates the root `memory` bounds (defaults apply per namespace), or `false`. */
export function validateMemory(raw: unknown): ResolvedCacheOptions['memory'] {
  if (raw === false) return false;
  const memory = expectObject(raw ?? {}, 'memory');
  expectKnownKeys(memory, MEMORY_KEYS, 'memory');
  const maxBytes =
    memory.maxBytes === undefined
      ? undefined
      : expectPositiveInteger(memory.maxBytes, 'memory.maxBytes');
  const maxEntries =
    memory.maxEntries === undefined
      ? undefined
      : expectPositiveInteger(memory.maxEntries, 'memory.maxEntries');
  return { maxEntries, maxBytes };
}
