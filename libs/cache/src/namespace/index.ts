export * from './invalidation-listeners';
export * from './namespace-cache';
