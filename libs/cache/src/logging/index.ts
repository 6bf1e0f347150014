export * from './log-text';
