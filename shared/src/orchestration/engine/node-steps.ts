import { newId } from '../../core/index.ts';
import { enqueueEvent, tables } from '../../platform/index.ts';
import type { FlowNode } from '../flows/definition.ts';
import { evaluateExpression } from '../flows/expression.ts';
import { isTruthy } from '../flows/expression-values.ts';
import { renderTemplate } from '../flows/template.ts';
import { conversationEvent } from './events.ts';
import { matchIntentLexically } from './intent-fallback.ts';
import {
  CONTINUE,
  expressionScope,
  type Run,
  type StepDraft,
  type StepOutcome,
  say,
  stop,
  TurnFailure,
} from './run-context.ts';
import { parseSlotValue } from './slot-values.ts';

type NodeOf<Type extends FlowNode['type']> = Extract<FlowNode, { type: Type }>;

/** Evaluates a record of expressions (tool input, approval data, delegate input). */
export function evaluateRecord(
  run: Run,
  draft: StepDraft,
  expressions: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const scope = expressionScope(run, draft.state);
  const out: Record<string, unknown> = {};
  for (const [key, expression] of Object.entries(expressions)) {
    const value = evaluateExpression(expression, scope);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

const render = (run: Run, draft: StepDraft, template: string) =>
  renderTemplate(template, expressionScope(run, draft.state));

/** The unconsumed input of the turn, consuming it; undefined when there is none. */
function takeInput(draft: StepDraft): { text: string; digits: string | null } | undefined {
  const input = draft.state.input;
  if (!input || input.consumed) return undefined;
  input.consumed = true;
  return { text: input.text, digits: input.digits };
}

/** message: says the rendered text and moves on. */
export function runMessage(run: Run, node: NodeOf<'message'>, draft: StepDraft): StepOutcome {
  say(run, draft, node.id, render(run, draft, node.text));
  draft.state.cursor = node.next;
  return CONTINUE;
}

/** set: assigns expression values to `vars`, in order. */
export function runSet(run: Run, node: NodeOf<'set'>, draft: StepDraft): StepOutcome {
  const scope = expressionScope(run, draft.state);
  for (const [name, expression] of Object.entries(node.assign)) {
    // Assignments see the values set before them in the same node.
    draft.state.vars[name] = evaluateExpression(expression, scope) ?? null;
  }
  draft.state.cursor = node.next;
  return CONTINUE;
}

/** condition: the first branch whose expression is truthy, else `else`. */
export function runCondition(run: Run, node: NodeOf<'condition'>, draft: StepDraft): StepOutcome {
  const scope = expressionScope(run, draft.state);
  const taken = node.branches.find((branch) => isTruthy(evaluateExpression(branch.when, scope)));
  draft.state.cursor = taken ? taken.next : node.else;
  draft.detail = { branch: taken ? node.branches.indexOf(taken) : 'else' };
  return CONTINUE;
}

/**
 * collect: without unconsumed input, says the prompt and waits; with input, validates it by `valueType`
 * into `slots.<slot>`, re-prompting up to `maxAttempts` before `onFail`.
 */
export function runCollect(run: Run, node: NodeOf<'collect'>, draft: StepDraft): StepOutcome {
  const input = takeInput(draft);
  const attempts = draft.state.attempts[node.id] ?? 0;
  if (!input) {
    say(
      run,
      draft,
      node.id,
      render(run, draft, attempts > 0 && node.retryPrompt ? node.retryPrompt : node.prompt),
    );
    draft.state.waiting = { kind: 'input', nodeId: node.id };
    return stop('awaiting_input');
  }
  const parsed = parseSlotValue(node, input.text || (input.digits ?? ''), run.deps.clock.now());
  if (parsed.ok) {
    draft.state.slots[node.slot] = parsed.value;
    delete draft.state.attempts[node.id];
    draft.state.cursor = node.next;
    draft.detail = { slot: node.slot, valid: true };
    return CONTINUE;
  }
  const used = attempts + 1;
  draft.detail = { slot: node.slot, valid: false, reason: parsed.reason, attempt: used };
  if (used >= node.maxAttempts) {
    delete draft.state.attempts[node.id];
    draft.state.cursor = node.onFail;
    return CONTINUE;
  }
  draft.state.attempts[node.id] = used;
  say(run, draft, node.id, render(run, draft, node.retryPrompt ?? node.prompt), { retry: used });
  draft.state.waiting = { kind: 'input', nodeId: node.id };
  return stop('awaiting_input');
}

/**
 * intent_router: waits for input, then routes by the classifier (or DTMF position, or the lexical
 * fallback) when the confidence reaches the threshold, else `fallback`.
 */
export async function runIntentRouter(
  run: Run,
  node: NodeOf<'intent_router'>,
  draft: StepDraft,
): Promise<StepOutcome> {
  const input = takeInput(draft);
  if (!input) {
    draft.state.waiting = { kind: 'input', nodeId: node.id };
    return stop('awaiting_input');
  }
  const names = node.routes.map((route) => route.intent);
  // DTMF menus: a digit picks the route at that position.
  if (!input.text && input.digits && /^\d$/.test(input.digits)) {
    const route = node.routes[Number(input.digits) - 1];
    draft.state.cursor = route ? route.next : node.fallback;
    draft.detail = { intent: route?.intent ?? null, confidence: route ? 1 : 0, source: 'dtmf' };
    return CONTINUE;
  }
  let choice: { intent: string; confidence: number; source: string } | undefined;
  if (run.deps.classify) {
    try {
      const answer = await run.deps.classify(run.context, run.agent, input.text);
      if (names.includes(answer.intent)) {
        choice = { intent: answer.intent, confidence: answer.confidence ?? 1, source: answer.source };
      }
    } catch (error) {
      // A classifier outage degrades to the lexical matcher; it does not end the conversation.
      if (run.budget.signal.aborted) throw error;
    }
  }
  if (!choice || choice.confidence < node.threshold) {
    const lexical = matchIntentLexically(input.text, names);
    if (lexical && (!choice || lexical.confidence > choice.confidence))
      choice = { ...lexical, source: 'lexical' };
  }
  const route =
    choice && choice.confidence >= node.threshold
      ? node.routes.find((candidate) => candidate.intent === choice.intent)
      : undefined;
  draft.state.cursor = route ? route.next : node.fallback;
  draft.detail = {
    intent: route ? route.intent : null,
    confidence: choice?.confidence ?? 0,
    source: choice?.source ?? null,
  };
  return CONTINUE;
}

/** tool: calls the registry with the evaluated input (a tool-call event); failures take `onError`. */
export async function runTool(run: Run, node: NodeOf<'tool'>, draft: StepDraft): Promise<StepOutcome> {
  const input = evaluateRecord(run, draft, node.input);
  const startedAt = Date.now();
  const result = await run.deps.tools.call(node.tool, input, {
    tenantId: run.context.tenantId,
    agentId: run.agent.id,
    conversationId: run.conversationId,
    nodeId: node.id,
    // Stable across a replay after a restart: the step starts from the same persisted revision.
    idempotencyKey: `${run.conversationId}:${node.id}:${run.revision}`,
    signal: run.budget.signal,
  });
  draft.events.push(
    conversationEvent('tool-call', node.id, {
      turnId: run.turnId,
      tool: node.tool,
      source: 'node',
      input,
      ok: result.ok,
      ...(result.ok ? { output: result.output } : { error: result.error }),
      durationMs: Date.now() - startedAt,
    }),
  );
  if (result.ok) {
    draft.state.result = result.output;
    if (node.saveAs) draft.state.vars[node.saveAs] = result.output;
    draft.state.cursor = node.next;
    return CONTINUE;
  }
  if (!node.onError) {
    throw new TurnFailure(
      'tool_error',
      `Tool ${node.tool} failed: ${result.error.code}: ${result.error.message}`,
    );
  }
  draft.state.result = { error: result.error };
  draft.state.cursor = node.onError;
  return CONTINUE;
}

/** approval: stores the approval and `approval.requested` (outbox), says `message`, suspends. */
export function runApproval(run: Run, node: NodeOf<'approval'>, draft: StepDraft): StepOutcome {
  const data = evaluateRecord(run, draft, node.data);
  const approvalId = newId('approval');
  const expiresAt = new Date(run.deps.clock.now().getTime() + node.expiresInSeconds * 1000);
  const { tenantId } = run.context;
  draft.extra.push(async (tx) => {
    await tx.insert(tables.approvals).values({
      id: approvalId,
      tenantId,
      conversationId: run.conversationId,
      agentId: run.agent.id,
      nodeId: node.id,
      action: node.action,
      data,
      expiresAt,
    });
    await enqueueEvent(tx, tenantId, 'approval.requested', {
      approvalId,
      conversationId: run.conversationId,
      action: node.action,
    });
  });
  draft.events.push(
    conversationEvent('approval-requested', node.id, {
      turnId: run.turnId,
      approvalId,
      action: node.action,
      data,
      expiresAt: expiresAt.toISOString(),
    }),
  );
  if (node.message) say(run, draft, node.id, render(run, draft, node.message), { approvalId });
  draft.state.waiting = { kind: 'approval', nodeId: node.id, approvalId };
  draft.status = 'waiting_approval';
  return stop('awaiting_approval');
}

/** handoff: stores the handoff with the rendered summary, says `message`, hands the conversation off. */
export function runHandoff(run: Run, node: NodeOf<'handoff'>, draft: StepDraft): StepOutcome {
  const handoffId = newId('handoff');
  const summary = node.summary ? render(run, draft, node.summary) : null;
  const { tenantId } = run.context;
  draft.extra.push(async (tx) => {
    await tx.insert(tables.handoffs).values({
      id: handoffId,
      tenantId,
      conversationId: run.conversationId,
      agentId: run.agent.id,
      reason: node.reason,
      summary,
      queue: node.queue ?? null,
    });
  });
  draft.events.push(
    conversationEvent('handoff-requested', node.id, {
      turnId: run.turnId,
      handoffId,
      reason: node.reason,
      queue: node.queue ?? null,
    }),
  );
  if (node.message) say(run, draft, node.id, render(run, draft, node.message), { handoffId });
  draft.state.waiting = { kind: 'handoff', nodeId: node.id, handoffId };
  draft.status = 'handed_off';
  return stop('handed_off');
}

/** end: says `message`, evaluates `result` (for a delegating parent) and ends the conversation. */
export function runEnd(run: Run, node: NodeOf<'end'>, draft: StepDraft): StepOutcome {
  if (node.message) say(run, draft, node.id, render(run, draft, node.message));
  if (node.result) {
    draft.state.outcomeResult = evaluateExpression(node.result, expressionScope(run, draft.state)) ?? null;
  }
  finishConversation(run, draft, node.outcome, 'flow', node.id);
  return stop('ended');
}

/** Marks the conversation over: status, outcome, `conversation.ended` through the outbox. */
export function finishConversation(
  run: Run,
  draft: StepDraft,
  outcome: 'resolved' | 'escalated' | 'abandoned' | 'failed',
  by: 'flow' | 'api' | 'handoff' | 'engine',
  nodeId: string | null,
): void {
  const endedAt = run.deps.clock.now();
  draft.state.cursor = null;
  draft.state.waiting = null;
  draft.status = outcome === 'failed' ? 'failed' : 'ended';
  draft.outcome = outcome;
  draft.endedAt = endedAt;
  draft.events.push(conversationEvent('conversation-end', nodeId, { outcome, by }));
  const { tenantId } = run.context;
  draft.extra.push(async (tx) => {
    await enqueueEvent(tx, tenantId, 'conversation.ended', {
      conversationId: run.conversationId,
      agentId: run.agent.id,
      channel: run.channel,
      durationMs: Math.max(0, endedAt.getTime() - run.startedAt.getTime()),
      outcome,
    });
  });
}
