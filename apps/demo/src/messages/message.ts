import { createHash } from 'node:crypto';
import type { MessageEntity } from '../database/message.entity';

/** A message as the API and the caches hold it. */
export interface Message {
  id: number;
  chatId: number;
  authorId: number;
  text: string;
  createdAt: Date;
  editedAt: Date | null;
}

export function toMessage(entity: MessageEntity): Message {
  return {
    id: entity.id,
    chatId: entity.chatId,
    authorId: entity.authorId,
    text: entity.text,
    createdAt: entity.createdAt,
    editedAt: entity.editedAt ?? null,
  };
}

/** What a search asks for. */
export interface SearchQuery {
  text: string;
  authorId?: number;
  limit: number;
}

/**
 * `search:<chatId>:<hash of the query and filters>`: equal searches share one entry, and every
 * search of a chat matches the glob `search:<chatId>:*`.
 */
export function searchKey(chatId: number, query: SearchQuery): string {
  const canonical = JSON.stringify([query.text.toLowerCase(), query.authorId ?? null, query.limit]);
  return `search:${chatId}:${createHash('sha256').update(canonical).digest('hex').slice(0, 24)}`;
}

/** Everything cached from a chat's messages carries this tag. */
export function chatTag(chatId: number): string {
  return `chat:${chatId}`;
}
