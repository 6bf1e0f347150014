import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import { randomInt } from 'node:crypto';
import { ownerOf, type PendingAction } from './pending-action';

/** One-time codes for pending actions, 5 minutes each, listed per owner by a secondary index. */
@Injectable()
export class ConfirmationsService {
  constructor(
    @InjectCache('confirmation') private readonly confirmations: NamespaceCache<PendingAction>,
  ) {}

  /** Stores the action under a fresh code and returns the code. */
  async create(action: PendingAction): Promise<string> {
    for (;;) {
      const code = String(randomInt(100_000, 1_000_000));
      // NX: two actions never share a code, even across instances.
      const stored = await this.confirmations.setIfAbsent(code, action, {
        indexes: { owner: ownerOf(action) },
      });
      if (stored) return code;
    }
  }

  /** The actions waiting for `owner` (see `ownerOf`). */
  pendingFor(owner: string): Promise<PendingAction[]> {
    return this.confirmations.getByIndex('owner', owner);
  }

  /**
   * Takes the action of a code when it is of `kind` and `accept` agrees, once: of two concurrent
   * takers (on any instance) only the one whose delete removed the entry gets it.
   */
  async take<K extends PendingAction['kind']>(
    code: string,
    kind: K,
    accept: (action: Extract<PendingAction, { kind: K }>) => boolean,
  ): Promise<Extract<PendingAction, { kind: K }>> {
    const action = await this.confirmations.get(code);
    const matches = (found: PendingAction): found is Extract<PendingAction, { kind: K }> =>
      found.kind === kind && accept(found as Extract<PendingAction, { kind: K }>);
    if (!action || !matches(action) || !(await this.confirmations.delete(code)))
      throw new NotFoundException('no such confirmation code, or it expired');
    return action;
  }
}
