export * from './check-patch';
export * from './freeze-decoded';
export * from './glob';
export * from './snapshot-value';
export * from './storable-text';
export * from './validate-key';
