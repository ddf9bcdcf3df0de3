export type { Cache, CacheInvalidations } from './cache.ts';
export type {
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitResult,
  CircuitState,
  CircuitStateChange,
} from './circuit-breaker.ts';
export { createCircuitBreaker } from './circuit-breaker.ts';
export { createMemoryCache } from './memory.ts';
export { readThrough } from './read-through.ts';
export type { RemoteCache, RemoteCacheOptions } from './remote.ts';
export type { TieredCacheOptions } from './tiered.ts';
export { createTieredCache } from './tiered.ts';
export type { UpstashCacheOptions } from './upstash.ts';
export { createUpstashCache } from './upstash.ts';
