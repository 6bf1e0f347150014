import { NamespaceLoader } from '../loading/namespace-loader';
import type { NamespaceSettings } from '../options/resolved-options';
import type { NamespaceTiers } from '../stack/stack-types';
import { TierStack } from '../stack/tier-stack';
import { keysOf } from '../tiers/removed-keys';
import { bindInternals } from './namespace-internals';
import type { NamespaceSignals } from './namespace-signals';

/** The stack and loader of one namespace, wired to each other and to its signals. */
export interface NamespaceParts<V> {
  readonly stack: TierStack;
  readonly loader: NamespaceLoader<V>;
}

/**
 * Builds a namespace's stack and loader and binds the module's internals to `cache`. The stack
 * reports to the loader and the signals through listeners made here, once: what it wrote or
 * removed supersedes the loads in flight, then is counted and emitted.
 */
export function wireNamespace<V>(
  cache: object,
  settings: NamespaceSettings,
  tiers: NamespaceTiers,
  signals: NamespaceSignals,
): NamespaceParts<V> {
  const stack = new TierStack(settings.name, tiers, {
    fault: (operation, error, key) => signals.fault(operation, error, key),
    written: (key) => {
      loader.written(key);
      signals.written(key);
    },
    removing: (removal) => loader.supersede(removal),
    removed: (removed) => {
      loader.supersede({ keys: keysOf(removed) });
      signals.removed(removed);
    },
    cleared: (count, keys) => signals.cleared(count, keys),
    dropped: (keys) => {
      loader.supersede({ keys });
      signals.dropped(keys);
    },
  });
  const loader = new NamespaceLoader<V>(settings, stack, signals);
  bindInternals(cache, {
    stack,
    tierRemoved: (key, reason) => {
      signals.tierRemoved(key, reason);
      stack.dropped(key);
    },
    fault: (operation, error, key) => signals.fault(operation, error, key),
    close: async () => {
      signals.close();
      await stack.close();
    },
  });
  return { stack, loader };
}
