import { and, desc, eq, lt } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import type { ConversationEngine, ConversationView } from '../engine/index.ts';

type HandoffRow = typeof tables.handoffs.$inferSelect;
export type HandoffStatus = HandoffRow['status'];

/** A conversation handed to a person, as the API shows it. */
export interface HandoffView {
  id: string;
  conversationId: string;
  agentId: string;
  reason: string;
  summary: string | null;
  queue: string | null;
  status: HandoffStatus;
  assignedTo: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A stored handoff as the API shows it. */
export function toHandoffView(row: HandoffRow): HandoffView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    agentId: row.agentId,
    reason: row.reason,
    summary: row.summary,
    queue: row.queue,
    status: row.status,
    assignedTo: row.assignedTo,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const scopeOf = (context: RequestContext) => ({
  tenantId: context.tenantId,
  userId: context.actor.type === 'user' ? context.actor.id : null,
});

async function findHandoff(tx: Tx, id: string, lock = false): Promise<HandoffRow> {
  const query = tx.select().from(tables.handoffs).where(eq(tables.handoffs.id, id));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found', 'Handoff not found');
  return row;
}

/**
 * Handoffs: the queue of conversations a flow handed to people. Accepting assigns it to the caller;
 * closing it ends the conversation (outcome `escalated`). Every change is audited.
 */
export function createHandoffService(db: Database, engine: ConversationEngine) {
  async function transition(
    context: RequestContext,
    id: string,
    to: 'accepted' | 'closed',
    note: string | undefined,
  ): Promise<HandoffView> {
    return db.withTenant(scopeOf(context), async (tx) => {
      const before = await findHandoff(tx, id, true);
      const allowed = to === 'accepted' ? ['open'] : ['open', 'accepted'];
      if (!allowed.includes(before.status))
        throw new AppError('conflict', `The handoff is already ${before.status}`);
      const [row] = await tx
        .update(tables.handoffs)
        .set({
          status: to,
          ...(to === 'accepted' ? { assignedTo: context.actor.id } : {}),
          updatedAt: new Date(),
        })
        .where(eq(tables.handoffs.id, id))
        .returning();
      if (!row) throw new AppError('not_found', 'Handoff not found');
      const after = toHandoffView(row);
      await appendAudit(tx, context, {
        action: to === 'accepted' ? 'handoff.accept' : 'handoff.close',
        resourceType: 'handoff',
        resourceId: id,
        before: toHandoffView(before),
        after: { ...after, ...(note ? { note } : {}) },
      });
      return after;
    });
  }

  return {
    async list(
      context: RequestContext,
      filters: { limit: number; cursor?: string | undefined; status?: HandoffStatus | undefined },
    ) {
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.handoffs)
          .where(
            and(
              eq(tables.handoffs.tenantId, context.tenantId),
              filters.cursor ? lt(tables.handoffs.id, filters.cursor) : undefined,
              filters.status ? eq(tables.handoffs.status, filters.status) : undefined,
            ),
          )
          .orderBy(desc(tables.handoffs.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toHandoffView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    get: (context: RequestContext, id: string): Promise<HandoffView> =>
      db.withTenant(scopeOf(context), async (tx) => toHandoffView(await findHandoff(tx, id))),

    accept: (context: RequestContext, id: string, note?: string) => transition(context, id, 'accepted', note),

    /** Closes the handoff and ends its conversation (and the conversation that delegated to it). */
    async close(
      context: RequestContext,
      id: string,
      note?: string,
    ): Promise<{ handoff: HandoffView; conversation: ConversationView | null }> {
      const handoff = await transition(context, id, 'closed', note);
      const rootId = await engine.rootOf(context, handoff.conversationId);
      const root = await db.withTenant(scopeOf(context), async (tx) => {
        const [row] = await tx
          .select({ status: tables.conversations.status })
          .from(tables.conversations)
          .where(eq(tables.conversations.id, rootId));
        return row;
      });
      if (!root || root.status === 'ended' || root.status === 'failed')
        return { handoff, conversation: null };
      return { handoff, conversation: await engine.end(context, rootId, 'escalated', 'handoff') };
    },
  };
}

export type HandoffService = ReturnType<typeof createHandoffService>;
