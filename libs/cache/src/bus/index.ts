export * from './invalidation-bus';
export * from './namespace-channel';
