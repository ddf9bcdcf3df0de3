import { and, eq, inArray } from 'drizzle-orm';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { enqueueEvent, type Tx, tables } from '../../platform/index.ts';
import { conversationEvent } from './events.ts';
import type { ResolvedEngineDeps } from './resolved-deps.ts';
import { type EngineState, parseState } from './state.ts';
import { type ConversationRow, commitStep } from './store.ts';

type Outcome = 'resolved' | 'abandoned' | 'escalated';

/** Every delegated conversation below `rootId` (bounded depth). */
async function descendantsOf(tx: Tx, rootId: string): Promise<ConversationRow[]> {
  const found: ConversationRow[] = [];
  let frontier = [rootId];
  for (let depth = 0; depth < 10 && frontier.length > 0; depth += 1) {
    const children = await tx
      .select()
      .from(tables.conversations)
      .where(inArray(tables.conversations.parentConversationId, frontier));
    found.push(...children);
    frontier = children.map((child) => child.id);
  }
  return found;
}

async function closeOne(
  tx: Tx,
  context: RequestContext,
  row: ConversationRow,
  state: EngineState,
  outcome: Outcome,
  by: 'api' | 'handoff',
  endedAt: Date,
): Promise<void> {
  await commitStep(tx, {
    tenantId: context.tenantId,
    conversationId: row.id,
    agentId: row.agentId,
    expectedRevision: row.stateRevision,
    state: { ...state, cursor: null, waiting: null, turn: null },
    status: 'ended',
    outcome,
    endedAt,
    events: [conversationEvent('conversation-end', null, { outcome, by })],
  });
  await enqueueEvent(tx, context.tenantId, 'conversation.ended', {
    conversationId: row.id,
    agentId: row.agentId,
    channel: row.channel,
    durationMs: Math.max(0, endedAt.getTime() - row.createdAt.getTime()),
    outcome,
  });
}

/**
 * Ends a conversation from outside its flow, in the caller's transaction (under the gate's row lock):
 * its delegated descendants end too, their pending approvals expire (so nobody decides on a closed
 * conversation) and open handoffs close. Audited.
 */
export async function endConversationTree(
  tx: Tx,
  deps: ResolvedEngineDeps,
  context: RequestContext,
  root: ConversationRow,
  rootState: EngineState,
  outcome: Outcome,
  by: 'api' | 'handoff',
): Promise<void> {
  const endedAt = deps.clock.now();
  const descendants = await descendantsOf(tx, root.id);
  for (const child of descendants) {
    if (child.status === 'ended' || child.status === 'failed') continue;
    await closeOne(tx, context, child, parseState(child.state), 'abandoned', by, endedAt);
  }
  await closeOne(tx, context, root, rootState, outcome, by, endedAt);
  const ids = [root.id, ...descendants.map((child) => child.id)];
  await tx
    .update(tables.approvals)
    .set({ status: 'expired', decidedAt: endedAt, decisionNote: 'conversation ended', updatedAt: endedAt })
    .where(and(inArray(tables.approvals.conversationId, ids), eq(tables.approvals.status, 'pending')));
  await tx
    .update(tables.handoffs)
    .set({ status: 'closed', updatedAt: endedAt })
    .where(
      and(
        inArray(tables.handoffs.conversationId, ids),
        inArray(tables.handoffs.status, ['open', 'accepted']),
      ),
    );
  await appendAudit(tx, context, {
    action: 'conversation.end',
    resourceType: 'conversation',
    resourceId: root.id,
    before: { status: root.status },
    after: { status: 'ended', outcome, by },
  });
}
