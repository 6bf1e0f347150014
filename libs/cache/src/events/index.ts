export * from './namespace-events';
