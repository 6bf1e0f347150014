export * from './cache-metrics';
export * from './diagnostics';
