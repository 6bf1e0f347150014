export * from './cache-manager.compat';
