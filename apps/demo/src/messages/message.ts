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

/** The plain copy of a row that the API returns and the caches hold. */
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
