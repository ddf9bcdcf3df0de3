import type { Cache } from './cache.ts';

/**
 * Returns the cached value of `key`, or loads it, caches it for `ttlSeconds` and returns it.
 *
 * The cache is never a hard dependency: a miss, an outage (adapters already answer those with a
 * miss) or a failing write all fall through to `load`, whose errors are the only ones that reach the
 * caller. `undefined` is not cached (it is how the port spells a miss); cache `null` to remember
 * that something does not exist.
 *
 * Keys must carry the tenant — `t:{tenantId}:agent:{agentId}` — whenever the value is tenant data:
 * the cache has no row-level security, the key is the only wall between tenants.
 *
 * @example
 * const agent = await readThrough(cache, `t:${tenantId}:agent:${id}`, 60, () => agents.find(id));
 */
export async function readThrough<T>(
  cache: Cache,
  key: string,
  ttlSeconds: number,
  load: () => Promise<T>,
): Promise<T> {
  const cached = await cache.get<T>(key).catch(() => undefined);
  if (cached !== undefined) return cached;
  const value = await load();
  if (value !== undefined) {
    // Conforming adapters never reject; a custom one that does must not fail a read that succeeded.
    await cache.set(key, value, ttlSeconds).catch(() => undefined);
  }
  return value;
}
