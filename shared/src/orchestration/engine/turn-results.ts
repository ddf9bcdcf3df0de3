import { and, eq, sql } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { tables } from '../../platform/index.ts';
import type { TurnErrorCode, TurnStopReason } from './events.ts';
import type { ResolvedEngineDeps } from './resolved-deps.ts';
import { type ConversationRow, loadConversationRow, type MessageView, turnReplies } from './store.ts';
import { tenantScope } from './tenant-scope.ts';
import { type ConversationView, type TurnResult, toConversationView } from './views.ts';

/** Builds the union result of a turn from its stop reason. */
export function buildResult(
  turnId: string,
  duplicate: boolean,
  reason: TurnStopReason,
  messages: MessageView[],
  conversation: ConversationView,
  error: { code: TurnErrorCode; message: string } | undefined,
): TurnResult {
  const common = { turnId, duplicate, messages, conversation };
  if (reason === 'failed') {
    return { ...common, status: 'failed', reason, error: error ?? { code: 'flow_error', message: 'failed' } };
  }
  if (reason === 'awaiting_approval' || reason === 'awaiting_delegate')
    return { ...common, status: 'suspended', reason };
  return { ...common, status: 'success', reason };
}

/** The original answer to a repeated client message id: the stored replies, not a new run. */
export async function replayTurn(
  deps: ResolvedEngineDeps,
  context: RequestContext,
  conversationId: string,
  turnId: string,
): Promise<TurnResult> {
  const { replies, end, row } = await deps.db.withTenant(tenantScope(context), async (tx) => {
    const [ended] = await tx
      .select({ data: tables.conversationEvents.data })
      .from(tables.conversationEvents)
      .where(
        and(
          eq(tables.conversationEvents.conversationId, conversationId),
          eq(tables.conversationEvents.type, 'turn-end'),
          sql`${tables.conversationEvents.data}->>'turnId' = ${turnId}`,
        ),
      );
    return {
      replies: await turnReplies(tx, conversationId, turnId),
      end: ended?.data,
      row: await loadConversationRow(tx, conversationId),
    };
  });
  if (!row) throw new AppError('not_found', 'Conversation not found');
  const reason = (end?.reason as TurnStopReason | undefined) ?? 'awaiting_input';
  const error = end?.error as { code: TurnErrorCode; message: string } | undefined;
  return buildResult(turnId, true, reason, replies, toConversationView(row), error);
}

/** The root of a delegation chain: the conversation the user talks to. */
export async function rootOf(
  deps: ResolvedEngineDeps,
  context: RequestContext,
  conversationId: string,
): Promise<string> {
  return deps.db.withTenant(tenantScope(context), async (tx) => {
    let current = await loadConversationRow(tx, conversationId);
    if (!current) throw new AppError('not_found', 'Conversation not found');
    for (let depth = 0; current.parentConversationId && depth < 10; depth += 1) {
      const parent: ConversationRow | undefined = await loadConversationRow(tx, current.parentConversationId);
      if (!parent) break;
      current = parent;
    }
    return current.id;
  });
}
