import { Logger } from '@nestjs/common';
import { InvalidOptionError } from '../errors/cache.error';
import { assertGlob, compileGlob, type GlobMatcher } from '../values/glob';
import { loggedMessage, quoted } from '../logging/log-text';

/** Told the key of an entry that was deleted or invalidated. */
export type InvalidationCallback = (key: string) => void;

/** The `onInvalidate` subscriptions of one namespace, matched by glob. */
export class InvalidationListeners {
  private static readonly logger = new Logger('CacheInvalidation');
  private readonly listeners = new Set<{ pattern: GlobMatcher; callback: InvalidationCallback }>();

  add(glob: string, callback: InvalidationCallback): () => void {
    assertGlob(glob, 'onInvalidate(glob, callback)');
    if (typeof callback !== 'function') {
      throw new InvalidOptionError('onInvalidate(glob, callback): callback must be a function');
    }
    const listener = { pattern: compileGlob(glob), callback };
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(key: string): void {
    for (const { pattern, callback } of this.listeners) {
      if (!pattern.test(key)) continue;
      try {
        callback(key);
      } catch (error) {
        InvalidationListeners.logger.error(
          `an onInvalidate callback threw for ${quoted(key)}: ${loggedMessage(error)}`,
        );
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
