import { agentCacheKey, type Cache, type EventBus } from '@lumay/shared';

/**
 * Evicts cached configuration when `config.changed` arrives, so a change made through any API
 * instance is seen by every instance even when the writer's own post-commit eviction failed
 * (for example while the cache was down).
 */
export async function subscribeCacheInvalidation(bus: EventBus, cache: Cache): Promise<void> {
  await bus.subscribe('cache-invalidation', ['config.changed'], async (event) => {
    if (event.topic !== 'config.changed') return;
    const payload = event.payload as { resourceType: string; resourceId: string };
    if (payload.resourceType === 'agent')
      await cache.delete(agentCacheKey(event.tenantId, payload.resourceId));
  });
}
