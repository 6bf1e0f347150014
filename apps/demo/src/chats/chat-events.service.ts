import { Injectable, type MessageEvent, type OnModuleDestroy } from '@nestjs/common';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import { Observable, type Subscriber } from 'rxjs';

/**
 * What a chat's listeners are told, as server-sent events: `header` when its header or settings
 * changed (the cached `info:<id>` was dropped), `messages` when its recent messages changed
 * (`recent:<id>` dropped), so clients fetch again instead of polling. Built on `onInvalidate`,
 * which reports what this instance deletes or invalidates.
 */
@Injectable()
export class ChatEventsService implements OnModuleDestroy {
  private readonly listeners = new Set<Subscriber<MessageEvent>>();

  constructor(
    @InjectCache('chats') private readonly chats: NamespaceCache<unknown>,
    @InjectCache('messages') private readonly messages: NamespaceCache<unknown>,
  ) {}

  /** The events of one chat; the first, `ready`, says the subscription is in place. */
  events(chatId: number): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const send = (type: string) => () => subscriber.next({ type, data: { chatId } });
      const unsubscribe = [
        this.chats.onInvalidate(`info:${chatId}`, send('header')),
        this.messages.onInvalidate(`recent:${chatId}`, send('messages')),
      ];
      this.listeners.add(subscriber);
      subscriber.next({ type: 'ready', data: { chatId } });
      return () => {
        this.listeners.delete(subscriber);
        for (const off of unsubscribe) off();
      };
    });
  }

  /** Ends open streams, so the HTTP server can close at shutdown. */
  onModuleDestroy(): void {
    for (const listener of [...this.listeners]) listener.complete();
  }
}
