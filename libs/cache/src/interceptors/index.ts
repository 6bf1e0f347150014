export * from './cache.interceptor';
export type { CachedResponse } from './cached-response';
