export * from './cache.error';
export * from './fault';
