export * from './cache.health-indicator';
