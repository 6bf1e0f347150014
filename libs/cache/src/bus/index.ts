export * from './bus-message';
export * from './bus-transport';
export * from './create-bus';
export * from './invalidation-bus';
export * from './namespace-channel';
export * from './postgres.transport';
export * from './redis.transport';
