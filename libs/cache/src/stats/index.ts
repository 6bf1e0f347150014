export * from './namespace-stats';
