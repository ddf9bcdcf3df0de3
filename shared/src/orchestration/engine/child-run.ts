import { newId } from '../../core/index.ts';
import { assertChildOf, type ChildReport, reconcileChild } from './delegation.ts';
import { conversationEvent, type TurnStopReason } from './events.ts';
import { makeRun, newTurnId } from './make-run.ts';
import { newDraft, type Run, type StepOutcome, stop, TurnFailure } from './run-context.ts';
import type { Waiting } from './state.ts';
import { commitDraft } from './step-commit.ts';
import { type ConversationRow, commitStep, loadConversationRow } from './store.ts';
import { tenantScope } from './tenant-scope.ts';

async function openChild(run: Run, childId: string): Promise<{ child: Run; row: ConversationRow }> {
  const row = await run.deps.db.withTenant(tenantScope(run.context), (tx) =>
    loadConversationRow(tx, childId),
  );
  if (!row) throw new TurnFailure('delegation_error', `Delegated conversation ${childId} is missing`);
  assertChildOf(run, row.parentConversationId);
  const agent = await run.deps.agents.get(run.context, row.agentId);
  const flow = await run.deps.flows.load(run.context, row, agent);
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

/**
 * A delegate node waiting for its child: forwards the parent's unconsumed input, runs the child (with
 * `runChild`, the runner's loop), and applies what it reports to the parent.
 */
export async function advanceChild(
  run: Run,
  waiting: Extract<Waiting, { kind: 'child' }>,
  runChild: (child: Run) => Promise<TurnStopReason>,
): Promise<StepOutcome> {
  if (run.status === 'handed_off') return stop('handed_off');
  const node = run.nodes.get(waiting.nodeId);
  if (node?.type !== 'delegate')
    throw new TurnFailure('flow_error', `Node ${waiting.nodeId} is not a delegate node`);
  const { child, row } = await openChild(run, waiting.conversationId);
  let reason: TurnStopReason | undefined;
  if (row.status !== 'ended' && row.status !== 'failed' && row.status !== 'handed_off') {
    await forwardInput(run, child);
    await childBoundary(child, 'start');
    reason = await runChild(child);
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
