import type { RequestContext } from '../../governance/index.ts';

/** The database scope (`db.withTenant`) of a request context. */
export function tenantScope(context: RequestContext) {
  return { tenantId: context.tenantId, userId: context.actor.type === 'user' ? context.actor.id : null };
}
