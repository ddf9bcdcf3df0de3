export * from './bus/index.ts';
export * from './cache/index.ts';
export * from './db/index.ts';
