import { conversationEvent } from './events.ts';
import type { Run, StepDraft } from './run-context.ts';
import { commitStep } from './store.ts';
import { tenantScope } from './tenant-scope.ts';

/** Which node a step ran, for its step-end event; null for bookkeeping commits. */
export interface StepInfo {
  readonly nodeId: string;
  readonly nodeType: string;
  readonly startedAt: number;
}

/**
 * Persists a draft as one step (state compare-and-set, messages, events, further writes) and then
 * tells the sink and `onEvent` about what was committed, never before.
 */
export async function commitDraft(run: Run, draft: StepDraft, step: StepInfo | null): Promise<void> {
  if (step) {
    draft.events.push(
      conversationEvent('step-end', step.nodeId, {
        turnId: run.turnId,
        nodeType: step.nodeType,
        step: run.steps + 1,
        next: draft.state.cursor,
        durationMs: Date.now() - step.startedAt,
        ...(draft.detail ?? {}),
        ...(run.parentAgentId ? { parentAgentId: run.parentAgentId } : {}),
      }),
    );
  }
  if (run.sink?.draft) {
    for (const message of draft.messages) {
      if (message.role !== 'assistant') continue;
      const node = message.nodeId === null ? undefined : run.nodes.get(message.nodeId);
      run.sink.draft({
        messageId: message.mirrorId ?? message.id,
        nodeId: message.nodeId,
        text: message.content,
        interruptible: node?.interruptible !== false,
      });
    }
  }
  const committed = await run.deps.db.withTenant(tenantScope(run.context), async (tx) => {
    const result = await commitStep(tx, {
      tenantId: run.context.tenantId,
      conversationId: run.conversationId,
      agentId: run.agent.id,
      expectedRevision: run.revision,
      state: draft.state,
      ...(draft.status !== undefined ? { status: draft.status } : {}),
      ...(draft.outcome !== undefined ? { outcome: draft.outcome } : {}),
      ...(draft.endedAt !== undefined ? { endedAt: draft.endedAt } : {}),
      messages: draft.messages,
      mirror: run.mirror,
      events: draft.events,
    });
    for (const write of draft.extra) await write(tx);
    return result;
  });
  const statusChanged = committed.row.status !== run.status;
  run.state = draft.state;
  run.revision = committed.row.stateRevision;
  run.status = committed.row.status;
  if (step) run.steps += 1;
  run.visible.push(...committed.visible);
  if (run.sink) {
    for (const message of committed.visible) {
      const node = message.nodeId === null ? undefined : run.nodes.get(message.nodeId);
      run.sink.message(message, { interruptible: node?.interruptible !== false });
    }
    if (statusChanged && !run.mirror) run.sink.status(run.status);
  }
  run.deps.emit(committed.events);
}
