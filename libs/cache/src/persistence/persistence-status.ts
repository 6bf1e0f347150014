import { Logger } from '@nestjs/common';
import { asError } from '../errors/as-error';
import { answers } from './batch-writer';
import type { Report } from './persistence-types';
import type { GuardedStore } from './store-guard';
import { loggedMessage } from '../logging/log-text';

/**
 * What persistence last heard from the durable store: the error of its last failed call (until
 * a call succeeds, or a read proves the store answers again: `recover`) and when a flush last
 * succeeded. The start and every write, removal and flush record their outcome here;
 * `PersistenceManager.health()` reads it.
 */
export class PersistenceStatus {
  /** The one logger of persistence: faults, refused rows, warm-start problems. */
  readonly logger = new Logger('CachePersistence');
  private error?: string;
  private flushAt?: Date;

  /** The message of the last failure, until the store answers again. */
  get lastError(): string | undefined {
    return this.error;
  }

  /** When a flush last succeeded. */
  get lastFlushAt(): Date | undefined {
    return this.flushAt;
  }

  /** The store answered a call: it is healthy again. */
  answered(): void {
    this.error = undefined;
  }

  /** A flush succeeded now. */
  flushed(): void {
    this.flushAt = new Date();
  }

  /** Clears the last error once `store` answers a read. */
  async recover(store: GuardedStore): Promise<void> {
    try {
      if (await answers(store)) this.answered();
    } catch {
      // Still unreachable: the next flush tries again.
    }
  }

  /** Records and logs a failed `operation`, and tells `report` (the namespace concerned). */
  failed(error: unknown, report: Report | undefined, operation: string, key?: string): void {
    const cause = asError(error);
    this.error = cause.message;
    this.logger.error(
      `${operation} failed; entries stay dirty for the next flush: ${loggedMessage(cause)}`,
    );
    report?.(operation, cause, key);
  }
}
