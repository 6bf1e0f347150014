export * from './check-patch';
export * from './freeze-decoded';
export * from './glob';
export * from './snapshot-value';
export { DATE_TO_JSON, MAX_VALUE_DEPTH } from './snapshot-walker';
export * from './storable-text';
export * from './validate-key';
