import { eq } from 'drizzle-orm';
import { isAppError } from '../../core/index.ts';
import { tables } from '../../platform/index.ts';
import type { FlowNode } from '../flows/definition.ts';
import { ExpressionError } from '../flows/expression.ts';
import { TemplateError } from '../flows/template.ts';
import { advanceChild } from './child-run.ts';
import { startDelegation } from './delegation.ts';
import { conversationEvent, type TurnStopReason } from './events.ts';
import { runLlm } from './llm-step.ts';
import {
  finishConversation,
  runApproval,
  runCollect,
  runCondition,
  runEnd,
  runHandoff,
  runIntentRouter,
  runMessage,
  runSet,
  runTool,
} from './node-steps.ts';
import {
  CONTINUE,
  checkDeadline,
  newDraft,
  type Run,
  type StepOutcome,
  say,
  stop,
  TurnFailure,
} from './run-context.ts';
import type { Waiting } from './state.ts';
import { commitDraft } from './step-commit.ts';
import { StaleConversationError } from './store.ts';
import { tenantScope } from './tenant-scope.ts';

/** Said when a conversation fails (the root only; a delegate's failure is its parent's to handle). */
export const FAILURE_MESSAGE =
  "I'm sorry, something went wrong on our side and I can't continue this conversation. Please start a new one.";

function executeNode(
  run: Run,
  node: FlowNode,
  draft: ReturnType<typeof newDraft>,
): Promise<StepOutcome> | StepOutcome {
  switch (node.type) {
    case 'message':
      return runMessage(run, node, draft);
    case 'collect':
      return runCollect(run, node, draft);
    case 'llm':
      return runLlm(run, node, draft);
    case 'intent_router':
      return runIntentRouter(run, node, draft);
    case 'condition':
      return runCondition(run, node, draft);
    case 'tool':
      return runTool(run, node, draft);
    case 'delegate':
      return startDelegation(run, node, draft);
    case 'approval':
      return runApproval(run, node, draft);
    case 'handoff':
      return runHandoff(run, node, draft);
    case 'set':
      return runSet(run, node, draft);
    case 'end':
      return runEnd(run, node, draft);
  }
}

function asTurnFailure(run: Run, error: unknown): TurnFailure | undefined {
  if (error instanceof TurnFailure) return error;
  if (error instanceof StaleConversationError) return undefined;
  if (run.budget.signal.aborted)
    return new TurnFailure('turn_timeout', 'The turn took longer than the flow allows');
  if (error instanceof ExpressionError || error instanceof TemplateError) {
    return new TurnFailure('expression_error', error.message);
  }
  // Domain errors (a deleted flow version, an unusable model configuration) end the conversation;
  // infrastructure errors (database down) leave the turn to be resumed.
  if (isAppError(error) && error.code !== 'service_unavailable' && error.code !== 'internal_error') {
    return new TurnFailure('flow_error', error.message);
  }
  return undefined;
}

/** The "defined error outcome": the conversation fails at its last persisted step, consistently. */
async function failRun(run: Run, failure: TurnFailure): Promise<void> {
  const draft = newDraft(run);
  const nodeId = run.state.cursor;
  if (!run.mirror) say(run, draft, nodeId ?? 'engine', FAILURE_MESSAGE, { error: failure.code });
  finishConversation(run, draft, 'failed', 'engine', nodeId);
  run.error = { code: failure.code, message: failure.message };
  await commitDraft(run, draft, null);
}

/**
 * Runs one conversation until it waits for input, suspends (approval, delegate), hands off, ends, or
 * fails (step limit, timeout, node error). Every step is committed before the next one starts.
 */
export async function runConversation(run: Run): Promise<TurnStopReason> {
  try {
    for (;;) {
      if (run.status === 'ended') return 'ended';
      if (run.status === 'failed') return 'failed';
      checkDeadline(run);
      const waiting = run.state.waiting;
      if (waiting) {
        const outcome = await advanceWaiting(run, waiting);
        if (!outcome.continue) return outcome.reason;
        continue;
      }
      const cursor = run.state.cursor;
      if (cursor === null) return 'ended';
      const limit = run.flow.settings.maxStepsPerTurn;
      if (run.steps >= limit) throw new TurnFailure('step_limit', `The turn took more than ${limit} steps`);
      const node = run.nodes.get(cursor);
      if (!node) throw new TurnFailure('flow_error', `The flow has no node ${cursor}`);
      const draft = newDraft(run);
      const startedAt = Date.now();
      const outcome = await executeNode(run, node, draft);
      await commitDraft(run, draft, { nodeId: node.id, nodeType: node.type, startedAt });
      if (!outcome.continue) return outcome.reason;
    }
  } catch (error) {
    const failure = asTurnFailure(run, error);
    if (!failure) throw error;
    await failRun(run, failure);
    return 'failed';
  }
}

async function advanceWaiting(run: Run, waiting: Waiting): Promise<StepOutcome> {
  switch (waiting.kind) {
    case 'input':
      if (run.state.input && !run.state.input.consumed) {
        // The next step's commit persists this.
        run.state = { ...run.state, waiting: null };
        return CONTINUE;
      }
      return stop('awaiting_input');
    case 'handoff':
      return stop('handed_off');
    case 'approval':
      return resolveApproval(run, waiting);
    case 'child':
      return advanceChild(run, waiting, runConversation);
  }
}

function nodeOfType<Type extends FlowNode['type']>(run: Run, nodeId: string, type: Type) {
  const node = run.nodes.get(nodeId);
  if (node?.type !== type) throw new TurnFailure('flow_error', `Node ${nodeId} is not a ${type} node`);
  return node as Extract<FlowNode, { type: Type }>;
}

async function resolveApproval(
  run: Run,
  waiting: Extract<Waiting, { kind: 'approval' }>,
): Promise<StepOutcome> {
  const [approval] = await run.deps.db.withTenant(tenantScope(run.context), (tx) =>
    tx.select().from(tables.approvals).where(eq(tables.approvals.id, waiting.approvalId)),
  );
  if (!approval) throw new TurnFailure('flow_error', `Approval ${waiting.approvalId} is missing`);
  if (approval.status === 'pending') return stop('awaiting_approval');
  const node = nodeOfType(run, waiting.nodeId, 'approval');
  const draft = newDraft(run);
  const startedAt = Date.now();
  if (approval.status === 'approved') {
    draft.state.result = approval.data;
    if (node.saveAs) draft.state.vars[node.saveAs] = approval.data;
    draft.state.cursor = node.next;
  } else {
    draft.state.result = { status: approval.status, note: approval.decisionNote };
    draft.state.cursor = approval.status === 'rejected' ? node.onReject : node.onExpire;
  }
  draft.state.waiting = null;
  draft.status = 'active';
  draft.detail = { decision: approval.status };
  draft.events.push(
    conversationEvent('approval-resolved', node.id, {
      turnId: run.turnId,
      approvalId: approval.id,
      status: approval.status,
    }),
  );
  await commitDraft(run, draft, { nodeId: node.id, nodeType: 'approval', startedAt });
  return CONTINUE;
}
