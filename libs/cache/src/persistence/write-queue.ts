/**
 * Runs every change to the table one after another, in the order asked: a slow flush can never
 * overwrite a newer write or bring back a deleted row. A failed step does not stop the next.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it. */
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.catch(() => undefined).then(work);
    this.tail = next;
    return next;
  }

  /** Resolves once everything queued so far has run, whatever its outcome. */
  settled(): Promise<void> {
    return this.tail.then(
      () => undefined,
      () => undefined,
    );
  }
}
