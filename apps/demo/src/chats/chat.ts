/** What a chat shows in its header: derived from the database, kept in `chats` as `info:<id>`. */
export interface ChatInfo {
  id: number;
  title: string;
  members: number;
  messages: number;
  lastMessageAt: Date | null;
}

/** A chat's settings: they live only in the cache, durable on change (`settings:<id>`). */
export interface ChatSettings {
  topic: string;
  maxMessageLength: number;
}

export const DEFAULT_SETTINGS: ChatSettings = { topic: '', maxMessageLength: 2000 };

/** A member's state in one chat, in `chatUsers` as `<chatId>:<userId>`, written periodically. */
export interface ChatUser {
  chatId: number;
  userId: number;
  role: 'owner' | 'member';
  lastReadMessageId: number | null;
  lastReadAt: Date | null;
}

export function chatUserKey(chatId: number, userId: number): string {
  return `${chatId}:${userId}`;
}
