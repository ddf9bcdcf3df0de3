import type { TurnErrorCode, TurnStopReason } from './events.ts';
import { parseState } from './state.ts';
import type { ConversationRow, MessageView } from './store.ts';

/** A conversation as the API shows it (the engine state's public parts). */
export interface ConversationView {
  id: string;
  agentId: string;
  flowId: string | null;
  flowVersion: number | null;
  channel: string;
  status: ConversationRow['status'];
  parentConversationId: string | null;
  turnCount: number;
  outcome: string | null;
  /** What the conversation waits for, when it waits: the node, and the approval, child or handoff id. */
  waitingFor: { kind: string; nodeId: string; id: string | null } | null;
  usage: { inputTokens: number; outputTokens: number; costUsd: number; modelCalls: number };
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/** A stored conversation as the API shows it. */
export function toConversationView(row: ConversationRow): ConversationView {
  const state = parseState(row.state);
  const waiting = state.waiting;
  return {
    id: row.id,
    agentId: row.agentId,
    flowId: row.flowId,
    flowVersion: row.flowVersion,
    channel: row.channel,
    status: row.status,
    parentConversationId: row.parentConversationId,
    turnCount: row.turnCount,
    outcome: row.outcome,
    waitingFor: waiting
      ? {
          kind: waiting.kind,
          nodeId: waiting.nodeId,
          id:
            waiting.kind === 'approval'
              ? waiting.approvalId
              : waiting.kind === 'child'
                ? waiting.conversationId
                : waiting.kind === 'handoff'
                  ? waiting.handoffId
                  : null,
        }
      : null,
    usage: state.usage,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
  };
}

/**
 * The result of a turn, a union on `status` (the mastra convention): `success` when the flow waits
 * for the user, ended or handed off; `suspended` while an approval or a delegate is pending; `failed`
 * with the error when the conversation could not go on.
 */
export type TurnResult = {
  readonly turnId: string;
  /** True when this answers a repeated `clientMessageId`: the original turn's reply, not re-run. */
  readonly duplicate: boolean;
  readonly messages: MessageView[];
  readonly conversation: ConversationView;
} & (
  | {
      readonly status: 'success';
      readonly reason: Extract<TurnStopReason, 'awaiting_input' | 'ended' | 'handed_off'>;
    }
  | {
      readonly status: 'suspended';
      readonly reason: Extract<TurnStopReason, 'awaiting_approval' | 'awaiting_delegate'>;
    }
  | {
      readonly status: 'failed';
      readonly reason: 'failed';
      readonly error: { code: TurnErrorCode; message: string };
    }
);

/** The status a stop reason maps to. */
export function statusOf(reason: TurnStopReason): 'success' | 'suspended' | 'failed' {
  if (reason === 'failed') return 'failed';
  return reason === 'awaiting_approval' || reason === 'awaiting_delegate' ? 'suspended' : 'success';
}
