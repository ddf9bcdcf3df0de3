export type { Cache } from './cache.ts';
export { createMemoryCache } from './memory.ts';
