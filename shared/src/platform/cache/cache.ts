/**
 * The cache port. Adapters: in-memory LRU (embedded), Redis over TCP (Node), Upstash REST (edge).
 * A cache is never a hard dependency: adapters turn timeouts and outages into misses (`undefined`)
 * and no-op writes, behind a circuit breaker, so callers fall through to the source of truth.
 * Keys must carry the tenant (`t:{tenantId}:…`) whenever the value is tenant data.
 */
export interface Cache {
  readonly name: string;
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  /**
   * Increments a counter that expires `ttlSeconds` after its first increment; returns the new value,
   * or `undefined` when the cache is unavailable (rate limiters then fall back to a local limiter).
   */
  increment(key: string, ttlSeconds: number): Promise<number | undefined>;
  close(): Promise<void>;
}
