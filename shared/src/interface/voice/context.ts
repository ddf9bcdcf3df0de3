import type { RequestContext } from '../../governance/index.ts';

/** The transaction scope of a context: RLS reads the tenant (and the user, for user actors). */
export const scopeOf = (context: RequestContext) => ({
  tenantId: context.tenantId,
  userId: context.actor.type === 'user' ? context.actor.id : null,
});

/**
 * The context the voice node (and the campaign scheduler) acts under once a call's tenant is known:
 * that tenant, a system actor, no user. Audit rows name `actorId`.
 *
 * @example
 * const route = await callStore.resolveInboundNumber(to);
 * if (route) await callStore.createInboundCall(voiceContext(route.tenantId, callSid), { … });
 */
export function voiceContext(
  tenantId: string,
  requestId = 'sys_voice',
  actorId = 'voice-node',
): RequestContext {
  return { tenantId, actor: { type: 'system', id: actorId }, role: 'owner', requestId, ip: null };
}
