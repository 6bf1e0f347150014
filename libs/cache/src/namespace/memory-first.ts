import type { TierStack } from '../stack/tier-stack';
import type { NamespaceSignals } from './namespace-signals';

/** What memory answered for a batch of keys. */
export interface MemoryFirst<V> {
  /** A value per key: memory's hits, counted; the rest are left to the caller. */
  readonly values: Array<V | undefined>;
  /** The indexes (in `keys`) memory holds no fresh entry for, in order. */
  readonly below: number[];
}

/**
 * The first step of every batch read (`getMany`, `getOrSetMany`): each key from memory, each hit
 * counted; the keys left go below in one read of the shared tier.
 */
export function readMemoryFirst<V>(
  stack: TierStack,
  signals: NamespaceSignals,
  keys: readonly string[],
): MemoryFirst<V> {
  const values = new Array<V | undefined>(keys.length);
  const below: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const near = stack.freshNear(keys[i]);
    if (near !== undefined) values[i] = signals.hit(keys[i], near) as V;
    else below.push(i);
  }
  return { values, below };
}

/** The keys at `indexes` of `keys`. */
export function keysAt(keys: readonly string[], indexes: readonly number[]): string[] {
  return indexes.map((i) => keys[i]);
}
