import { timeLimit } from '../time-limit';
import { CacheError } from '../errors/cache.error';
import { CACHE_DEFAULTS } from '../options/cache-options.defaults';
import { parseDuration } from '../options/duration';
import { CircuitBreaker } from '../stack/circuit-breaker';
import { CommandTimeoutError } from '../stack/circuit-errors';
import type { RemovedKeys } from '../tiers/removed-keys';
import type { Removal } from './removal';
import type { StorageStore } from './storage-store';

/** The durable store answered none of an earlier statement yet: a newer one must not overtake it. */
export class StoreBusyError extends CacheError {
  constructor() {
    super(
      'the durable store has not answered an earlier statement',
      'E_CACHE_UNAVAILABLE',
      'it is retried automatically once the database answers',
    );
  }
}

/** The statements of the table the caller changes; each goes through the guard. */
export interface GuardedStore extends Pick<StorageStore, 'upsert' | 'probe' | 'mend'> {
  /**
   * `StorageStore.remove`. `lateSuccess` runs if the statement failed its deadline yet the
   * database carried it out later: the removal did happen, before any later statement ran.
   */
  remove(
    namespace: string,
    removal: Removal,
    batchSize: number,
    lateSuccess?: () => void,
  ): Promise<RemovedKeys>;
}

/**
 * Every statement persistence sends to the durable store goes through here: under the store's
 * circuit breaker (one per store, shared with the PostgreSQL tier), so each statement fails
 * after `postgresCommandTimeout` and a database that keeps failing is left alone. A statement
 * past its deadline may still run once the database answers: until it has, later statements fail
 * at once instead of overtaking it, so the table never applies changes out of order.
 */
export class StoreGuard {
  /** Statements past their deadline the database has not answered yet. */
  private abandoned = 0;
  /** The table's statements, each one guarded. */
  readonly store: GuardedStore = {
    // One deadline per statement: a flush of many batches is many statements, each bounded.
    upsert: async (rows, batchSize) => {
      for (let start = 0; start < rows.length; start += batchSize) {
        const batch = rows.slice(start, start + batchSize);
        await this.call((store) => store.upsert(batch, batchSize));
      }
    },
    remove: (namespace, removal, batchSize, lateSuccess) =>
      this.call((store) => store.remove(namespace, removal, batchSize), lateSuccess),
    probe: () => this.call((store) => store.probe()),
    mend: (namespace, gone, changed, missing) =>
      this.call((store) => store.mend(namespace, gone, changed, missing)),
  };

  constructor(
    private readonly open: () => Promise<StorageStore>,
    readonly breaker: CircuitBreaker = storeBreaker(),
    /** How long a caller waits for the table (ms). */
    readonly wait: number = storeTimeout(),
  ) {}

  /**
   * Runs `work` on the store, under the breaker's deadline. `lateSuccess` runs if `work` passed
   * its deadline (the caller saw it fail) and then succeeded: as no later statement ran before it
   * was answered, its effect comes before theirs.
   */
  async call<T>(work: (store: StorageStore) => Promise<T>, lateSuccess?: () => void): Promise<T> {
    if (this.abandoned > 0) throw new StoreBusyError();
    let running: Promise<T> | undefined;
    let settled = false;
    try {
      return await this.breaker.run(() => {
        running = this.open().then(work);
        void running.then(
          () => (settled = true),
          () => (settled = true),
        );
        return running;
      });
    } catch (error) {
      if (running && !settled) {
        this.abandoned++;
        void running.then(
          () => {
            this.abandoned--;
            lateSuccess?.();
          },
          () => this.abandoned--,
        );
      }
      throw error;
    }
  }

  /** `promise`, or a timeout error once the caller waited `wait` ms; the work goes on. */
  within<T>(promise: Promise<T>, wait = this.wait, hint = WAIT_HINT): Promise<T> {
    return timeLimit(promise, wait, () => new CommandTimeoutError('the durable store', wait, hint));
  }
}

/** `postgresCommandTimeout` in ms: a statement's deadline, and how long a caller waits. */
export function storeTimeout(): number {
  return parseDuration(CACHE_DEFAULTS.postgresCommandTimeout, 'postgresCommandTimeout');
}

const WAIT_HINT = 'the change stays queued or dirty and is written once the database answers';

/**
 * The circuit of a durable store: every statement bounded by `postgresCommandTimeout`, a failing
 * database left alone after `postgresFailureThreshold` failures. A statement the database refused
 * (bad data, a constraint) proves it is up and never opens it.
 */
export function storeBreaker(): CircuitBreaker {
  const timeout = storeTimeout();
  return new CircuitBreaker({
    name: 'PostgreSQL',
    timeout,
    failureThreshold: CACHE_DEFAULTS.postgresFailureThreshold,
    resetAfter: parseDuration(CACHE_DEFAULTS.postgresRetryAfter, 'postgresRetryAfter'),
    maxResetAfter: parseDuration(CACHE_DEFAULTS.circuitMaxRetryAfter, 'circuitMaxRetryAfter'),
    timeoutHint: `check the database: the cache gives up on a statement after ${timeout}ms`,
    isFault: (error) => !refusedByDatabase(error),
  });
}

/** A data exception or a constraint (SQLSTATE class 22 or 23): the database answered. */
function refusedByDatabase(error: Error): boolean {
  const code = (error as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
