import { eq } from 'drizzle-orm';
import { isAppError, newId } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { tables } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import type { FlowNode } from '../flows/definition.ts';
import { ExpressionError } from '../flows/expression.ts';
import { TemplateError } from '../flows/template.ts';
import { assertChildOf, type ChildReport, reconcileChild, startDelegation } from './delegation.ts';
import { conversationEvent, type TurnStopReason } from './events.ts';
import type { LoadedFlow } from './flow-loader.ts';
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
import type { ResolvedEngineDeps } from './resolved-deps.ts';
import {
  CONTINUE,
  checkDeadline,
  newDraft,
  type Run,
  type StepOutcome,
  say,
  stop,
  type TurnBudget,
  TurnFailure,
  type TurnSink,
} from './run-context.ts';
import { parseState, type Waiting } from './state.ts';
import { commitDraft } from './step-commit.ts';
import {
  type ConversationRow,
  commitStep,
  loadConversationRow,
  type MirrorTarget,
  StaleConversationError,
} from './store.ts';
import { tenantScope } from './tenant-scope.ts';

/** Said when a conversation fails (the root only; a delegate's failure is its parent's to handle). */
export const FAILURE_MESSAGE =
  "I'm sorry, something went wrong on our side and I can't continue this conversation. Please start a new one.";

/** A turn id (`turn_…`): names the messages and events of one turn. */
export function newTurnId(): string {
  return `turn_${newId('event').slice(4)}`;
}

/** Builds the run of one conversation within a turn. */
export function makeRun(options: {
  deps: ResolvedEngineDeps;
  context: RequestContext;
  agent: AgentView;
  flow: LoadedFlow;
  row: ConversationRow;
  turnId: string;
  budget: TurnBudget;
  sink: TurnSink | undefined;
  mirror: MirrorTarget | undefined;
  parentAgentId: string | undefined;
}): Run {
  const { row } = options;
  return {
    deps: options.deps,
    context: options.context,
    agent: options.agent,
    flow: options.flow.definition,
    nodes: options.flow.nodes,
    conversationId: row.id,
    channel: row.channel,
    startedAt: row.createdAt,
    turnId: options.turnId,
    budget: options.budget,
    sink: options.sink,
    mirror: options.mirror,
    parentAgentId: options.parentAgentId,
    visible: [],
    state: parseState(row.state),
    revision: row.stateRevision,
    status: row.status,
    steps: 0,
    error: undefined,
  };
}

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
      return advanceChild(run, waiting);
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

async function openChild(run: Run, childId: string): Promise<{ child: Run; row: ConversationRow }> {
  const row = await run.deps.db.withTenant(tenantScope(run.context), (tx) =>
    loadConversationRow(tx, childId),
  );
  if (!row) throw new TurnFailure('delegation_error', `Delegated conversation ${childId} is missing`);
  assertChildOf(run, row.parentConversationId);
  const agent = await run.deps.agents.get(run.context, row.agentId);
  const flow = await run.deps.flows.load(
    run.context,
    { flowId: row.flowId, flowVersion: row.flowVersion },
    agent,
  );
  const child = makeRun({
    deps: run.deps,
    context: run.context,
    agent,
    flow,
    row,
    turnId: newTurnId(),
    budget: run.budget,
    sink: run.sink,
    mirror: run.mirror ?? { conversationId: run.conversationId, turnId: run.turnId },
    parentAgentId: run.agent.id,
  });
  return { child, row };
}

/** Hands the parent's unconsumed input to the child: both states change in one transaction. */
async function forwardInput(run: Run, child: Run): Promise<void> {
  const input = run.state.input;
  if (!input || input.consumed) return;
  const parentDraft = newDraft(run);
  if (parentDraft.state.input) parentDraft.state.input.consumed = true;
  const childDraft = newDraft(child);
  childDraft.state.input = { text: input.text, digits: input.digits, consumed: false };
  const { tenantId } = run.context;
  const committed = await run.deps.db.withTenant(tenantScope(run.context), async (tx) => {
    const parent = await commitStep(tx, {
      tenantId,
      conversationId: run.conversationId,
      agentId: run.agent.id,
      expectedRevision: run.revision,
      state: parentDraft.state,
    });
    const forwarded = await commitStep(tx, {
      tenantId,
      conversationId: child.conversationId,
      agentId: child.agent.id,
      expectedRevision: child.revision,
      state: childDraft.state,
      incrementTurnCount: true,
      messages: [
        {
          id: newId('message'),
          role: 'user',
          content: input.text || (input.digits ?? ''),
          nodeId: null,
          metadata: {
            turnId: child.turnId,
            forwardedFrom: run.conversationId,
            ...(input.digits ? { digits: input.digits } : {}),
          },
        },
      ],
    });
    return { parent, forwarded };
  });
  run.state = parentDraft.state;
  run.revision = committed.parent.row.stateRevision;
  child.state = childDraft.state;
  child.revision = committed.forwarded.row.stateRevision;
}

async function childBoundary(child: Run, event: 'start' | 'end', reason?: TurnStopReason): Promise<void> {
  const draft = newDraft(child);
  draft.events.push(
    event === 'start'
      ? conversationEvent('turn-start', null, {
          turnId: child.turnId,
          kind: 'resume',
          ...(child.parentAgentId ? { parentAgentId: child.parentAgentId } : {}),
        })
      : conversationEvent('turn-end', null, {
          turnId: child.turnId,
          status:
            reason === 'failed'
              ? 'failed'
              : reason === 'awaiting_input' || reason === 'ended'
                ? 'success'
                : 'suspended',
          reason: reason ?? 'failed',
          steps: child.steps,
          durationMs: 0,
          ...(child.error ? { error: child.error } : {}),
        }),
  );
  await commitDraft(child, draft, null);
}

function reportOf(
  child: Run,
  reason: TurnStopReason | undefined,
  status: ConversationRow['status'],
): ChildReport {
  const base = {
    conversationId: child.conversationId,
    agentId: child.agent.id,
    result: child.state.outcomeResult ?? child.state.vars.result ?? child.visible.at(-1)?.content ?? null,
    usage: child.state.usage,
  };
  if (status === 'ended') return { ...base, status: 'ended' };
  if (status === 'failed') return { ...base, status: 'failed', error: child.error?.message ?? 'failed' };
  if (status === 'handed_off') return { ...base, status: 'handed_off' };
  const waitingFor =
    reason === 'awaiting_approval' || status === 'waiting_approval'
      ? 'awaiting_approval'
      : reason === 'awaiting_delegate' || status === 'delegated'
        ? 'awaiting_delegate'
        : 'awaiting_input';
  return { ...base, status: 'waiting', waitingFor };
}

async function advanceChild(run: Run, waiting: Extract<Waiting, { kind: 'child' }>): Promise<StepOutcome> {
  if (run.status === 'handed_off') return stop('handed_off');
  const node = nodeOfType(run, waiting.nodeId, 'delegate');
  const { child, row } = await openChild(run, waiting.conversationId);
  let reason: TurnStopReason | undefined;
  if (row.status !== 'ended' && row.status !== 'failed' && row.status !== 'handed_off') {
    await forwardInput(run, child);
    await childBoundary(child, 'start');
    reason = await runConversation(child);
    await childBoundary(child, 'end', reason);
    run.visible.push(...child.visible);
  }
  const report = reportOf(child, reason, child.status);
  const draft = newDraft(run);
  const startedAt = Date.now();
  const outcome = reconcileChild(run, node, draft, report);
  if (report.status !== 'waiting') {
    await commitDraft(run, draft, { nodeId: node.id, nodeType: 'delegate', startedAt });
  }
  return outcome;
}
