import { createHash } from 'node:crypto';

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
