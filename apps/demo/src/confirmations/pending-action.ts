/** An action that waits for a confirmation code (which a real service would mail). */
export type PendingAction =
  { kind: 'signup'; email: string } | { kind: 'delete-chat'; chatId: number; userId: number };

/** The secondary index value of an action's owner: an email before signup, a user id after. */
export function ownerOf(action: PendingAction): string {
  return action.kind === 'signup' ? `email:${action.email}` : `user:${action.userId}`;
}
