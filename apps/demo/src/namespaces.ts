import { PersistenceLevel, type NamespaceOptions } from 'nest-tiered-cache';

/*
 * Every namespace of the chat service, each declared by the feature modules that use it
 * (`CacheModule.forFeature`); a module declaring one that another also declares passes the same
 * settings. `ratelimit` depends on configuration, so `AppModule` declares it in `forRootAsync`.
 */

/** Chat headers (`info:<id>`, written at shutdown) and settings (`settings:<id>`, on change). */
export const CHATS: NamespaceOptions = {
  name: 'chats',
  ttl: '1h',
  persistence: PersistenceLevel.ON_SHUTDOWN,
};

/** A member's state in a chat, `<chatId>:<userId>`: read markers change often, so PERIODIC. */
export const CHAT_USERS: NamespaceOptions = {
  name: 'chatUsers',
  ttl: '1d',
  persistence: PersistenceLevel.PERIODIC,
};

/** Temporary UI state of a user (theme, open chat, draft): never written anywhere. */
export const USERS: NamespaceOptions = {
  name: 'users',
  ttl: '30m',
  persistence: PersistenceLevel.MEMORY_ONLY,
};

/** Cache-aside copies of user rows (`@Cacheable`), warmed with active users at start. */
export const USER_RECORDS: NamespaceOptions = { name: 'userRecords', ttl: '10m' };

/** Logins by bearer token, indexed by user; survive restarts (written at shutdown). */
export const SESSION: NamespaceOptions = {
  name: 'session',
  ttl: '24h',
  persistence: PersistenceLevel.ON_SHUTDOWN,
};

/** Signups waiting for their confirmation code. */
export const SIGNUP: NamespaceOptions = { name: 'signup', ttl: '30m' };

/** Pending actions by one-time code, indexed by owner. */
export const CONFIRMATION: NamespaceOptions = { name: 'confirmation', ttl: '5m' };

/** Recent messages (`recent:<chatId>`) and search results (`search:<chatId>:<hash>`). */
export const MESSAGES: NamespaceOptions = { name: 'messages', ttl: '10m', maxEntries: 5000 };

/** Short-lived state: typing indicators, job locks, the last digest. */
export const TEMP: NamespaceOptions = { name: 'temp', ttl: '1m' };

/** Messages per user per minute; Redis-only when Redis is configured, so every instance counts. */
export const RATELIMIT_NAME = 'ratelimit';
