export * from './circuit-breaker';
export * from './circuit-breaker-options';
export * from './circuit-errors';
export * from './circuit-state';
export * from './far-budget';
export * from './far-guard';
export * from './stack-types';
export * from './tier-stack';
