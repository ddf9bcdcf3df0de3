import { newId } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import type { Tx } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import type { FlowDefinition, FlowNode } from '../flows/definition.ts';
import type { ExpressionScope } from '../flows/expression.ts';
import type { ConversationEvent, TurnErrorCode, TurnStopReason } from './events.ts';
import type { ResolvedEngineDeps } from './resolved-deps.ts';
import type { EngineState } from './state.ts';
import type { ConversationStatus, MessageView, MirrorTarget, PendingMessage } from './store.ts';

/** Receives a turn's progress as it happens (server-sent events, voice). Calls must not throw. */
export interface TurnSink {
  /** A chunk of an assistant message being generated; the chunks of one message concatenate to it. */
  delta(event: { messageId: string; nodeId: string; delta: string; interruptible: boolean }): void;
  /**
   * A complete assistant message, after it is stored. `interruptible` is false when its node says a
   * voice channel must not cut it off (legal text).
   */
  message(message: MessageView, info: { interruptible: boolean }): void;
  /** The conversation's status changed. */
  status(status: ConversationStatus): void;
  /**
   * An assistant message about to be stored, just before its step commits (`message` follows once it
   * is). For listeners to whom every millisecond counts (a caller waiting for speech): they may start
   * on it, accepting that a step which then fails to commit fails the turn.
   */
  draft?(event: { messageId: string; nodeId: string | null; text: string; interruptible: boolean }): void;
  /**
   * Aborted when the listener stops listening (a voice caller barged in): a streaming reply stops,
   * its partial text is stored (metadata `interrupted: true`) and the flow goes on as usual.
   */
  readonly interrupt?: AbortSignal;
}

/** The turn's shared limits: one deadline (and its abort signal) for the root and its delegates. */
export interface TurnBudget {
  readonly deadline: number;
  readonly signal: AbortSignal;
}

/** One conversation being run within a turn. Mutable: `state`, `revision` and `status` follow each commit. */
export interface Run {
  readonly deps: ResolvedEngineDeps;
  readonly context: RequestContext;
  readonly agent: AgentView;
  readonly flow: FlowDefinition;
  readonly nodes: ReadonlyMap<string, FlowNode>;
  readonly conversationId: string;
  readonly channel: string;
  readonly startedAt: Date;
  readonly turnId: string;
  readonly budget: TurnBudget;
  readonly sink: TurnSink | undefined;
  /** Set for a delegated conversation: its messages are copied to the root transcript. */
  readonly mirror: MirrorTarget | undefined;
  readonly parentAgentId: string | undefined;
  /** Messages the user sees, in order (copies in the root transcript for delegated conversations). */
  readonly visible: MessageView[];
  state: EngineState;
  revision: number;
  status: ConversationStatus;
  steps: number;
  /** Why the run failed, once it has. */
  error: { code: TurnErrorCode; message: string } | undefined;
}

/** A step in the making: a copy of the state plus everything the step will write. */
export interface StepDraft {
  state: EngineState;
  messages: PendingMessage[];
  events: ConversationEvent[];
  extra: ((tx: Tx) => Promise<void>)[];
  status?: ConversationStatus;
  outcome?: string | null;
  endedAt?: Date | null;
  /** Extra fields for the step-end event (e.g. the intent a router chose). */
  detail?: Record<string, unknown>;
}

/** What a node asks the loop to do after its step commits. */
export type StepOutcome =
  | { readonly continue: true }
  | { readonly continue: false; readonly reason: TurnStopReason };

/** Go on with the next node. */
export const CONTINUE: StepOutcome = { continue: true };
/** End the run here, for this reason. */
export const stop = (reason: TurnStopReason): StepOutcome => ({ continue: false, reason });

/** A turn cannot go on: the conversation fails with this code (the "defined error outcome"). */
export class TurnFailure extends Error {
  readonly code: TurnErrorCode;

  constructor(code: TurnErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'TurnFailure';
    this.code = code;
  }
}

/** A new step on a copy of the run's current state. */
export function newDraft(run: Run): StepDraft {
  return { state: structuredClone(run.state), messages: [], events: [], extra: [] };
}

/** The scope expressions and templates read: slots, vars, the latest input, the last result, env. */
export function expressionScope(run: Run, state: EngineState): ExpressionScope {
  return {
    slots: state.slots,
    vars: state.vars,
    input: { text: state.input?.text ?? '', digits: state.input?.digits ?? null },
    result: state.result,
    env: {
      channel: run.channel,
      conversationId: run.conversationId,
      agentId: run.agent.id,
      agentName: run.agent.name,
      now: run.deps.clock.now().toISOString(),
    },
  };
}

/** Queues an assistant message of the step (empty text is not said). */
export function say(
  run: Run,
  draft: StepDraft,
  nodeId: string,
  text: string,
  metadata: Record<string, unknown> = {},
  id: { id: string; mirrorId?: string } = preassignIds(run),
): void {
  if (text.trim() === '') return;
  draft.messages.push({
    id: id.id,
    ...(id.mirrorId ? { mirrorId: id.mirrorId } : {}),
    role: 'assistant',
    content: text,
    nodeId,
    metadata: { turnId: run.turnId, agentId: run.agent.id, ...metadata },
  });
}

/** Message ids chosen before the message exists (streamed deltas name the message the user will see). */
export function preassignIds(run: Run): { id: string; mirrorId?: string; visibleId: string } {
  const id = newId('message');
  if (!run.mirror) return { id, visibleId: id };
  const mirrorId = newId('message');
  return { id, mirrorId, visibleId: mirrorId };
}

/** Throws `turn_timeout` once the turn's deadline has passed. */
export function checkDeadline(run: Run): void {
  if (run.budget.signal.aborted || Date.now() >= run.budget.deadline) {
    throw new TurnFailure('turn_timeout', 'The turn took longer than the flow allows');
  }
}
