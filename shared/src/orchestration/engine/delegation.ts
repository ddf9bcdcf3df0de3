import { AppError, isAppError, newId } from '../../core/index.ts';
import { tables } from '../../platform/index.ts';
import type { FlowNode } from '../flows/definition.ts';
import { conversationEvent } from './events.ts';
import { evaluateRecord } from './node-steps.ts';
import { CONTINUE, type Run, type StepDraft, type StepOutcome, stop, TurnFailure } from './run-context.ts';
import { initialState } from './state.ts';

type DelegateNode = Extract<FlowNode, { type: 'delegate' }>;

/** How deep delegations may nest (root included). */
export const MAX_DELEGATION_DEPTH = 5;

/** Takes the delegate's error branch, or fails the turn when it has none. */
function refuse(
  run: Run,
  node: DelegateNode,
  draft: StepDraft,
  childAgentId: string,
  message: string,
): StepOutcome {
  draft.events.push(
    conversationEvent('delegation-end', node.id, {
      turnId: run.turnId,
      childConversationId: '',
      childAgentId,
      parentAgentId: run.agent.id,
      status: 'refused',
      error: message,
    }),
  );
  if (!node.onError) throw new TurnFailure('delegation_error', message);
  draft.state.result = { error: { code: 'delegation_refused', message } };
  draft.state.cursor = node.onError;
  return CONTINUE;
}

/**
 * A delegate node's first step: checks the delegation stack (an agent already on it is a loop), starts
 * the child conversation with the target agent's flow and `input` as its `vars.input`, and marks this
 * conversation `delegated`. The loop then runs the child (see the runner) and hands its result back.
 */
export async function startDelegation(run: Run, node: DelegateNode, draft: StepDraft): Promise<StepOutcome> {
  const stack = draft.state.stack;
  if (stack.includes(node.agentId)) {
    return refuse(
      run,
      node,
      draft,
      node.agentId,
      `Delegation loop: agent ${node.agentId} is already on the stack`,
    );
  }
  if (stack.length >= MAX_DELEGATION_DEPTH) {
    return refuse(run, node, draft, node.agentId, `Delegations nest at most ${MAX_DELEGATION_DEPTH} deep`);
  }
  let target: Awaited<ReturnType<Run['deps']['agents']['get']>>;
  try {
    target = await run.deps.agents.get(run.context, node.agentId);
  } catch (error) {
    if (isAppError(error) && error.code === 'not_found') {
      return refuse(run, node, draft, node.agentId, `Agent ${node.agentId} does not exist`);
    }
    throw error;
  }
  const flow = run.deps.resolveFlow ? await run.deps.resolveFlow(run.context, target, run.channel) : null;
  if (!flow) return refuse(run, node, draft, node.agentId, `Agent ${node.agentId} has no published flow`);
  const input = evaluateRecord(run, draft, node.input);
  const childId = newId('conversation');
  const childState = initialState({
    start: flow.definition.start,
    variables: flow.definition.variables,
    stack: [...stack, target.id],
    vars: { input },
  });
  const { tenantId } = run.context;
  draft.extra.push(async (tx) => {
    await tx.insert(tables.conversations).values({
      id: childId,
      tenantId,
      agentId: target.id,
      flowId: flow.flowId,
      flowVersion: flow.version,
      channel: run.channel,
      status: 'active',
      state: childState as unknown as Record<string, unknown>,
      parentConversationId: run.conversationId,
      metadata: {},
    });
  });
  draft.events.push(
    conversationEvent('delegation-start', node.id, {
      turnId: run.turnId,
      childConversationId: childId,
      childAgentId: target.id,
      parentAgentId: run.agent.id,
    }),
  );
  draft.state.waiting = { kind: 'child', nodeId: node.id, conversationId: childId };
  draft.status = 'delegated';
  return CONTINUE;
}

/** What the child run reported, and what it holds. */
export interface ChildReport {
  readonly conversationId: string;
  readonly agentId: string;
  readonly status: 'ended' | 'failed' | 'handed_off' | 'waiting';
  readonly waitingFor?: 'awaiting_input' | 'awaiting_approval' | 'awaiting_delegate';
  readonly result: unknown;
  readonly usage: { inputTokens: number; outputTokens: number; costUsd: number; modelCalls: number };
  readonly error?: string;
}

/** Applies the child's outcome to the parent's draft: result hand-back, error branch, or a pause. */
export function reconcileChild(
  run: Run,
  node: DelegateNode,
  draft: StepDraft,
  child: ChildReport,
): StepOutcome {
  if (child.status === 'waiting') {
    return stop(child.waitingFor === 'awaiting_approval' ? 'awaiting_approval' : 'awaiting_delegate');
  }
  const common = {
    turnId: run.turnId,
    childConversationId: child.conversationId,
    childAgentId: child.agentId,
    parentAgentId: run.agent.id,
    usage: child.usage,
  };
  if (child.status === 'handed_off') {
    draft.events.push(conversationEvent('delegation-end', node.id, { ...common, status: 'handed_off' }));
    draft.status = 'handed_off';
    return stop('handed_off');
  }
  if (child.status === 'failed') {
    draft.events.push(
      conversationEvent('delegation-end', node.id, {
        ...common,
        status: 'failed',
        error: child.error ?? 'failed',
      }),
    );
    if (!node.onError) throw new TurnFailure('delegation_error', `The delegate ${child.agentId} failed`);
    draft.state.waiting = null;
    draft.status = 'active';
    draft.state.result = { error: { code: 'delegate_failed', message: child.error ?? 'failed' } };
    draft.state.cursor = node.onError;
    return CONTINUE;
  }
  draft.events.push(
    conversationEvent('delegation-end', node.id, { ...common, status: 'ended', result: child.result }),
  );
  draft.state.waiting = null;
  draft.status = 'active';
  draft.state.result = child.result ?? null;
  draft.state.vars[node.saveAs] = child.result ?? null;
  draft.state.cursor = node.next;
  return CONTINUE;
}

/** A child conversation that is not a delegate of this run (tampered state) is a flow error. */
export function assertChildOf(run: Run, parentId: string | null): void {
  if (parentId !== run.conversationId) {
    throw new AppError('conflict', 'The delegated conversation does not belong to this conversation');
  }
}
