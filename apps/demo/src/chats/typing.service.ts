import { Injectable } from '@nestjs/common';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';

interface Typing {
  userId: number;
  since: Date;
}

/** "Is typing" indicators: 5 seconds each, found per chat through a secondary index. */
@Injectable()
export class TypingService {
  constructor(@InjectCache('temp') private readonly temp: NamespaceCache<Typing>) {}

  /** Shows the user as typing in the chat for the next 5 seconds. */
  async startTyping(chatId: number, userId: number): Promise<void> {
    await this.temp.set(
      `typing:${chatId}:${userId}`,
      { userId, since: new Date() },
      { ttl: '5s', indexes: { typingIn: String(chatId) } },
    );
  }

  /** The users typing in the chat now, by id. */
  async whoIsTyping(chatId: number): Promise<number[]> {
    const typing = await this.temp.getByIndex('typingIn', String(chatId));
    return typing.map((entry) => entry.userId).sort((a, b) => a - b);
  }
}
