/** What a chat shows in its header: derived from the database, kept in `chats` as `info:<id>`. */
export interface ChatInfo {
  id: number;
  title: string;
  /** The topic line of the chat's settings. */
  topic: string;
  members: number;
  messages: number;
  lastMessageAt: Date | null;
}

/** A chat's settings: they live only in the cache, durable on change (`settings:<id>`). */
export interface ChatSettings {
  topic: string;
  maxMessageLength: number;
}

/** Settings of a chat whose owner changed none. */
export const DEFAULT_SETTINGS: ChatSettings = { topic: '', maxMessageLength: 2000 };

/** Everything cached from a chat's messages (recent lists, search results) carries this tag. */
export function chatTag(chatId: number): string {
  return `chat:${chatId}`;
}
