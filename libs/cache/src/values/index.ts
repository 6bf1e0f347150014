export * from './check-patch';
export * from './glob';
export * from './snapshot-value';
export * from './validate-key';
