import { and, desc, eq, lt, lte } from 'drizzle-orm';
import { AppError, type Clock, systemClock } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import type { ConversationEngine, ConversationView, MessageView } from '../engine/index.ts';

type ApprovalRow = typeof tables.approvals.$inferSelect;
export type ApprovalStatus = ApprovalRow['status'];

/** A human-in-the-loop approval as the API shows it. */
export interface ApprovalView {
  id: string;
  conversationId: string;
  agentId: string;
  nodeId: string;
  action: string;
  data: Record<string, unknown>;
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A decision and what the conversation said after resuming. */
export interface ApprovalDecisionResult {
  approval: ApprovalView;
  /** The conversation after resuming (null when it could not be resumed, e.g. it had ended). */
  conversation: ConversationView | null;
  /** The assistant messages the resumed conversation produced. */
  messages: MessageView[];
}

/** A stored approval as the API shows it. */
export function toApprovalView(row: ApprovalRow): ApprovalView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    agentId: row.agentId,
    nodeId: row.nodeId,
    action: row.action,
    data: row.data,
    status: row.status,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionNote: row.decisionNote,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const scopeOf = (context: RequestContext) => ({
  tenantId: context.tenantId,
  userId: context.actor.type === 'user' ? context.actor.id : null,
});

/** The context system work (expiry, sweeps) runs under: the tenant, no user. */
export function systemContext(tenantId: string, id = 'approval-expiry'): RequestContext {
  return { tenantId, actor: { type: 'system', id }, role: 'owner', requestId: `sys_${id}`, ip: null };
}

async function findApproval(tx: Tx, id: string, lock = false): Promise<ApprovalRow> {
  const query = tx.select().from(tables.approvals).where(eq(tables.approvals.id, id));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found', 'Approval not found');
  return row;
}

/**
 * Approvals (HITL gates): list and read them, approve (with optional edits, merged over the proposed
 * data) or reject them once, and expire them when their time is up. A decision or an expiry resumes
 * the conversation on the matching branch. Every decision and expiry is audited.
 */
export function createApprovalService(options: { db: Database; engine: ConversationEngine; clock?: Clock }) {
  const { db, engine } = options;
  const clock = options.clock ?? engine.clock ?? systemClock;

  async function resumeQuietly(context: RequestContext, conversationId: string) {
    try {
      return await engine.resume(context, conversationId);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: 'error',
          message: 'resuming a conversation after an approval failed',
          conversationId,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      return null;
    }
  }

  /** Marks this tenant's due approvals expired (audited) and resumes their conversations on `onExpire`. */
  async function expireDue(context: RequestContext, now: Date = clock.now()): Promise<number> {
    const system = systemContext(context.tenantId);
    const expired = await db.withTenant(scopeOf(system), async (tx) => {
      const due = await tx
        .select()
        .from(tables.approvals)
        .where(and(eq(tables.approvals.status, 'pending'), lte(tables.approvals.expiresAt, now)))
        .orderBy(tables.approvals.id)
        .limit(100)
        .for('update', { skipLocked: true });
      for (const row of due) {
        await tx
          .update(tables.approvals)
          .set({ status: 'expired', decidedAt: now, updatedAt: now })
          .where(eq(tables.approvals.id, row.id));
        await appendAudit(tx, system, {
          action: 'approval.expire',
          resourceType: 'approval',
          resourceId: row.id,
          before: { status: row.status, expiresAt: row.expiresAt?.toISOString() ?? null },
          after: { status: 'expired' },
        });
      }
      return due;
    });
    for (const conversationId of new Set(expired.map((row) => row.conversationId))) {
      await resumeQuietly(system, conversationId);
    }
    return expired.length;
  }

  async function decide(
    context: RequestContext,
    id: string,
    decision: {
      status: 'approved' | 'rejected';
      data?: Record<string, unknown> | undefined;
      note?: string | undefined;
    },
  ): Promise<ApprovalDecisionResult> {
    await expireDue(context);
    const approval = await db.withTenant(scopeOf(context), async (tx) => {
      const before = await findApproval(tx, id, true);
      if (before.status !== 'pending')
        throw new AppError('conflict', `The approval is already ${before.status}`);
      const now = clock.now();
      const [row] = await tx
        .update(tables.approvals)
        .set({
          status: decision.status,
          decidedBy: context.actor.id,
          decidedAt: now,
          decisionNote: decision.note ?? null,
          ...(decision.status === 'approved' && decision.data
            ? { data: { ...before.data, ...decision.data } }
            : {}),
          updatedAt: now,
        })
        .where(eq(tables.approvals.id, id))
        .returning();
      if (!row) throw new AppError('not_found', 'Approval not found');
      const after = toApprovalView(row);
      await appendAudit(tx, context, {
        action: decision.status === 'approved' ? 'approval.approve' : 'approval.reject',
        resourceType: 'approval',
        resourceId: id,
        before: toApprovalView(before),
        after,
      });
      return after;
    });
    const turn = await resumeQuietly(context, approval.conversationId);
    return { approval, conversation: turn?.conversation ?? null, messages: turn?.messages ?? [] };
  }

  return {
    expireDue,

    async list(
      context: RequestContext,
      filters: { limit: number; cursor?: string | undefined; status?: ApprovalStatus | undefined },
    ) {
      await expireDue(context);
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.approvals)
          .where(
            and(
              eq(tables.approvals.tenantId, context.tenantId),
              filters.cursor ? lt(tables.approvals.id, filters.cursor) : undefined,
              filters.status ? eq(tables.approvals.status, filters.status) : undefined,
            ),
          )
          .orderBy(desc(tables.approvals.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toApprovalView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    async get(context: RequestContext, id: string): Promise<ApprovalView> {
      await expireDue(context);
      return db.withTenant(scopeOf(context), async (tx) => toApprovalView(await findApproval(tx, id)));
    },

    approve: (
      context: RequestContext,
      id: string,
      input: { data?: Record<string, unknown> | undefined; note?: string | undefined },
    ) => decide(context, id, { status: 'approved', ...input }),

    reject: (context: RequestContext, id: string, input: { note?: string | undefined }) =>
      decide(context, id, { status: 'rejected', ...input }),

    /**
     * One sweep over tenants (`tenantIds` from the composition root): expires due approvals and finishes
     * turns abandoned by dead instances (and resumes conversations a failed resume left waiting). Errors of one tenant do not stop the others.
     */
    async sweep(
      tenantIds: readonly string[],
      now: Date = clock.now(),
    ): Promise<{ expired: number; recovered: number }> {
      let expired = 0;
      let recovered = 0;
      for (const tenantId of tenantIds) {
        try {
          expired += await expireDue(systemContext(tenantId), now);
          recovered += await engine.recoverStalled(systemContext(tenantId, 'turn-recovery'));
        } catch (error) {
          console.error(
            JSON.stringify({
              level: 'error',
              message: 'approval sweep failed',
              tenantId,
              error: String(error),
            }),
          );
        }
      }
      return { expired, recovered };
    },
  };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
