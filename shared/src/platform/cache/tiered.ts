import type { Cache } from './cache.ts';

export interface TieredCacheOptions {
  /** Longest a value may be served from the local tier; bounds staleness if an invalidation is lost. */
  localTtlSeconds?: number;
}

/**
 * A per-process tier in front of a shared cache (memory in front of Redis). Reads hit the local tier
 * first; deletes evict locally, in the shared tier and, through the shared cache's invalidation
 * channel, in every other instance's local tier. Counters always go to the shared tier so rate limits
 * hold across instances. Without an invalidation channel the local tier is skipped entirely, since
 * nothing could keep other instances' copies fresh.
 */
export async function createTieredCache(
  local: Cache,
  shared: Cache,
  options: TieredCacheOptions = {},
): Promise<Cache & { unsubscribe(): void }> {
  const localTtl = options.localTtlSeconds ?? 5;
  const channel = shared.invalidations;
  const unsubscribe = channel
    ? await channel.subscribe((keys) => void local.delete(...keys))
    : () => undefined;
  const useLocal = channel !== undefined;

  return {
    name: `tiered(${local.name}+${shared.name})`,
    async get<T>(key: string) {
      if (useLocal) {
        const hit = await local.get<T>(key);
        if (hit !== undefined) return hit;
      }
      const value = await shared.get<T>(key);
      if (useLocal && value !== undefined) await local.set(key, value, localTtl);
      return value;
    },
    async set(key, value, ttlSeconds) {
      if (useLocal) await local.set(key, value, Math.min(ttlSeconds, localTtl));
      await shared.set(key, value, ttlSeconds);
    },
    async delete(...keys) {
      await local.delete(...keys);
      await shared.delete(...keys);
      await channel?.publish(keys);
    },
    increment: (key, ttlSeconds) => shared.increment(key, ttlSeconds),
    ...(channel ? { invalidations: channel } : {}),
    unsubscribe,
    async close() {
      unsubscribe();
      await local.close();
      await shared.close();
    },
  };
}
