import { existsSync } from 'node:fs';
import { PersistenceLevel, type NamespaceOptions } from 'nest-tiered-cache';

/*
 * Every namespace of the chat service, each declared by the feature modules that use it
 * (`CacheModule.forFeature`); a module declaring one that another also declares passes the same
 * settings. `ratelimit` depends on configuration, so `AppModule` declares it in `forRootAsync`.
 */

// Namespaces are declared when the modules load, before ConfigModule reads `.env`: read it now
// (variables already in the environment win, as with ConfigModule).
if (existsSync('.env')) process.loadEnvFile('.env');

/**
 * Where the namespaces instances share live. With Redis (`REDIS_URL`): the module's default,
 * memory in front of Redis, kept coherent by the bus over pub/sub. On PostgreSQL alone
 * (`DATABASE_URL`, no `REDIS_URL`): memory in front of the cache table, kept coherent by the bus
 * over LISTEN/NOTIFY (on by default there). On the embedded store: the default, memory.
 */
export const SHARED_TIERS: Pick<NamespaceOptions, 'tiers'> =
  !process.env.REDIS_URL && process.env.DATABASE_URL ? { tiers: ['memory', 'postgres'] } : {};

/** Chat headers (`info:<id>`, written at shutdown) and settings (`settings:<id>`, on change). */
export const CHATS: NamespaceOptions = {
  name: 'chats',
  ttl: '1h',
  ...SHARED_TIERS,
  persistence: PersistenceLevel.ON_SHUTDOWN,
};

/** A member's state in a chat, `<chatId>:<userId>`: read markers change often, so PERIODIC. */
export const CHAT_USERS: NamespaceOptions = {
  name: 'chatUsers',
  ttl: '1d',
  ...SHARED_TIERS,
  persistence: PersistenceLevel.PERIODIC,
};

/** Temporary UI state of a user (theme, open chat, draft): never written anywhere. */
export const USERS: NamespaceOptions = {
  name: 'users',
  ttl: '30m',
  persistence: PersistenceLevel.MEMORY_ONLY,
};

/**
 * Cache-aside copies of user rows (`@Cacheable`), warmed with active users at start. Kept an
 * hour past their TTL (`grace`), to be served while the database is slow or down.
 */
export const USER_RECORDS: NamespaceOptions = {
  name: 'userRecords',
  ttl: '10m',
  grace: '1h',
  ...SHARED_TIERS,
};

/**
 * Topics of a chat (`<chatId>:<topicId>`, indexed by chat): threads members open and close.
 * They live in the cache only, so they are written at shutdown and loaded back at start.
 */
export const TOPICS: NamespaceOptions = {
  name: 'topics',
  ttl: '7d',
  ...SHARED_TIERS,
  persistence: PersistenceLevel.ON_SHUTDOWN,
};

/** How long a session lives after its last renewal (see `SessionGuard`). */
export const SESSION_TTL = '24h';

/**
 * Logins by bearer token, indexed by user; survive restarts (written at shutdown). A session in
 * use is renewed (`expire`) once less than half of `SESSION_TTL` is left.
 */
export const SESSION: NamespaceOptions = {
  name: 'session',
  ttl: SESSION_TTL,
  ...SHARED_TIERS,
  persistence: PersistenceLevel.ON_SHUTDOWN,
};

/** Signups waiting for their confirmation code. */
export const SIGNUP: NamespaceOptions = { name: 'signup', ttl: '30m', ...SHARED_TIERS };

/** Pending actions by one-time code, indexed by owner. */
export const CONFIRMATION: NamespaceOptions = { name: 'confirmation', ttl: '5m', ...SHARED_TIERS };

/** Recent messages (`recent:<chatId>`) and search results (`search:<chatId>:<hash>`). */
export const MESSAGES: NamespaceOptions = {
  name: 'messages',
  ttl: '10m',
  maxEntries: 5000,
  ...SHARED_TIERS,
};

/** Short-lived state: typing indicators, job locks, the last digest. */
export const TEMP: NamespaceOptions = { name: 'temp', ttl: '1m', ...SHARED_TIERS };

/**
 * Messages per user per minute, in the shared tier alone (Redis, or else the PostgreSQL table) so
 * every instance counts; in memory on the embedded store.
 */
export const RATELIMIT_NAME = 'ratelimit';
