/** A member's state in one chat, in `chatUsers` as `<chatId>:<userId>`, written periodically. */
export interface ChatUser {
  chatId: number;
  userId: number;
  role: 'owner' | 'member';
  lastReadMessageId: number | null;
  lastReadAt: Date | null;
}

/** The key of a member's state in `chatUsers`. */
export function chatUserKey(chatId: number, userId: number): string {
  return `${chatId}:${userId}`;
}
