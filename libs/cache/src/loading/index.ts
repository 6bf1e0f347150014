export * from './deadlines';
export * from './locked-load';
export * from './namespace-loader';
export * from './single-flight';
