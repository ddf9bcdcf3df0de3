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
  /**
   * Optional: cross-instance invalidation, for instances that keep a local copy in front of the
   * shared cache. Absent when the adapter has no channel to other instances.
   */
  invalidations?: CacheInvalidations;
}

/**
 * Best-effort broadcast of evicted keys between instances. A message published while the channel is
 * down is lost, so a local copy's TTL must still bound how stale it can get.
 */
export interface CacheInvalidations {
  /** Tells every subscribed instance (this one included) that `keys` changed; never throws. */
  publish(keys: string[]): Promise<void>;
  /**
   * Calls `handler` with the keys of every invalidation published from now on, until the returned
   * function is called. Resolves once the subscription is live, or after a bounded wait when the
   * channel is down (it then goes live in the background when the channel comes back).
   */
  subscribe(handler: (keys: string[]) => void): Promise<() => void>;
}
