/**
 * Typed engine events: one `conversation_events` row each (append-only), and the same value handed to
 * `EngineDeps.onEvent` after it commits. Names are kebab-case nouns with a lifecycle ending in `-end`.
 */

/** Why a turn stopped. */
export type TurnStopReason =
  | 'awaiting_input'
  | 'awaiting_approval'
  | 'awaiting_delegate'
  | 'handed_off'
  | 'ended'
  | 'failed';

/** The code of a turn that failed (the conversation is then `failed`). */
export type TurnErrorCode =
  | 'step_limit'
  | 'turn_timeout'
  | 'expression_error'
  | 'tool_error'
  | 'model_error'
  | 'delegation_error'
  | 'flow_error';

/** Payload of each event type. */
export interface ConversationEventPayloads {
  'turn-start': {
    turnId: string;
    kind: 'opening' | 'inbound' | 'resume';
    /** Set when an engine took over a turn another instance left unfinished. */
    takenOver?: boolean;
    parentAgentId?: string;
  };
  'step-end': {
    turnId: string;
    nodeType: string;
    step: number;
    next: string | null;
    durationMs: number;
    parentAgentId?: string;
  };
  'tool-call': {
    turnId: string;
    tool: string;
    source: 'node' | 'llm';
    input: Record<string, unknown>;
    ok: boolean;
    output?: unknown;
    error?: { code: string; message: string };
    durationMs: number;
  };
  'llm-call': {
    turnId: string;
    provider: string;
    modelId: string;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    citations: number;
    parentAgentId?: string;
  };
  'approval-requested': {
    turnId: string;
    approvalId: string;
    action: string;
    data: Record<string, unknown>;
    expiresAt: string;
  };
  'approval-resolved': { turnId: string; approvalId: string; status: 'approved' | 'rejected' | 'expired' };
  'delegation-start': {
    turnId: string;
    childConversationId: string;
    childAgentId: string;
    parentAgentId: string;
  };
  'delegation-end': {
    turnId: string;
    childConversationId: string;
    childAgentId: string;
    parentAgentId: string;
    status: 'ended' | 'failed' | 'handed_off' | 'refused';
    result?: unknown;
    error?: string;
    usage?: { inputTokens: number; outputTokens: number; costUsd: number; modelCalls: number };
  };
  'handoff-requested': { turnId: string; handoffId: string; reason: string; queue: string | null };
  'turn-end': {
    turnId: string;
    status: 'success' | 'suspended' | 'failed';
    reason: TurnStopReason;
    steps: number;
    durationMs: number;
    error?: { code: TurnErrorCode; message: string };
  };
  'conversation-end': { outcome: string; by: 'flow' | 'api' | 'handoff' | 'engine' };
}

export type ConversationEventType = keyof ConversationEventPayloads;

/** An event as the engine records it. */
export type ConversationEvent = {
  [Type in ConversationEventType]: {
    readonly type: Type;
    readonly nodeId: string | null;
    readonly data: ConversationEventPayloads[Type];
  };
}[ConversationEventType];

/** An event after it is stored, as `onEvent` receives it. */
export type RecordedConversationEvent = ConversationEvent & {
  readonly id: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly agentId: string;
  readonly occurredAt: string;
};

/** Builds an event with its payload type checked against its name. */
export function conversationEvent<Type extends ConversationEventType>(
  type: Type,
  nodeId: string | null,
  data: ConversationEventPayloads[Type],
): ConversationEvent {
  return { type, nodeId, data } as ConversationEvent;
}
