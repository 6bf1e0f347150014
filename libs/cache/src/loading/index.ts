export * from './deadlines';
export * from './locked-load';
