import { createModelCallRecorder } from '../../analytics/index.ts';
import {
  type CitedContext,
  citationsInAnswer,
  formatCitedContext,
  type GenerateTextResult,
  generateText,
  isModelCallError,
  type ModelMessage,
  streamText,
  type ToolCall,
} from '../../intelligence/index.ts';
import type { FlowNode } from '../flows/definition.ts';
import { renderTemplate } from '../flows/template.ts';
import { conversationEvent } from './events.ts';
import {
  CONTINUE,
  expressionScope,
  preassignIds,
  type Run,
  type StepDraft,
  type StepOutcome,
  say,
  TurnFailure,
} from './run-context.ts';
import { recentHistory } from './store.ts';
import { tenantScope } from './tenant-scope.ts';

type LlmNode = Extract<FlowNode, { type: 'llm' }>;

/** Tool-call rounds one llm node may take before it must answer. */
const MAX_TOOL_ROUNDS = 4;
const HISTORY_MESSAGES = 30;

/** The agent's own instructions (`config.instructions` / `systemPrompt` / `prompt`), if any. */
export function agentInstructions(config: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of ['instructions', 'systemPrompt', 'prompt']) {
    const value = config[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

async function loadHistory(run: Run): Promise<ModelMessage[]> {
  const history = await run.deps.db.withTenant(tenantScope(run.context), (tx) =>
    recentHistory(tx, run.conversationId, HISTORY_MESSAGES),
  );
  return history.map((message) =>
    message.role === 'user'
      ? { role: 'user' as const, content: message.content }
      : { role: 'assistant' as const, content: message.content },
  );
}

async function retrieveContext(run: Run, node: LlmNode, query: string): Promise<CitedContext | undefined> {
  if (!node.knowledgeBaseIds?.length || !run.deps.retrieve || query.trim() === '') return undefined;
  const chunks = await run.deps.retrieve(run.context, node.knowledgeBaseIds, query);
  return chunks.length > 0 ? formatCitedContext(chunks) : undefined;
}

/**
 * An llm node: instructions + history (+ retrieved, cited context) to the agent's model chain, tools
 * offered by name and executed through the registry (a tool-call event each), the reply said unless
 * `say: false`, every model call priced with tenant/agent/conversation attribution. When the turn has
 * a sink, the reply streams as deltas that concatenate to the stored message. No transaction is open
 * while the model works.
 */
export async function runLlm(run: Run, node: LlmNode, draft: StepDraft): Promise<StepOutcome> {
  const scope = expressionScope(run, draft.state);
  const system = [agentInstructions(run.agent.config), renderTemplate(node.instructions, scope)]
    .filter((part): part is string => Boolean(part?.trim()))
    .join('\n\n');
  const messages = await loadHistory(run);
  const query =
    draft.state.input?.text || [...messages].reverse().find((m) => m.role === 'user')?.content || '';
  const cited = await retrieveContext(run, node, query);
  const tools = run.deps.tools.definitions(node.tools ?? []);
  const models = await run.deps.models(run.context, run.agent);
  const recorder = run.deps.recordCosts
    ? createModelCallRecorder(run.deps.db, run.context, {
        attribution: { agentId: run.agent.id, conversationId: run.conversationId },
      })
    : undefined;
  const ids = preassignIds(run);
  const stream = node.say && run.sink ? run.sink : undefined;
  // A voice caller barging in aborts `interrupt`: the reply stops where it is and the partial text is kept.
  const interrupt = stream?.interrupt;
  const signal = interrupt ? AbortSignal.any([run.budget.signal, interrupt]) : run.budget.signal;
  const common = {
    models,
    ...(system ? { system } : {}),
    ...(cited ? { context: cited.documents } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    metadata: {
      tenantId: run.context.tenantId,
      agentId: run.agent.id,
      conversationId: run.conversationId,
      ...(run.parentAgentId ? { parentAgentId: run.parentAgentId } : {}),
    },
    signal,
    timeoutMs: Math.max(1, run.budget.deadline - Date.now()),
    ...(recorder ? { onModelCall: recorder.listener } : {}),
    ...(run.deps.modelCallHooks ? { hooks: run.deps.modelCallHooks } : {}),
  };

  let text = '';
  let interrupted = false;
  let last: GenerateTextResult | undefined;
  const usage = { inputTokens: 0, outputTokens: 0 };
  try {
    for (let round = 0; round <= MAX_TOOL_ROUNDS; round += 1) {
      const separator = text.length > 0 ? ' ' : '';
      let roundText = '';
      if (stream) {
        const result = streamText({ ...common, messages });
        try {
          for await (const part of result) {
            if (interrupt?.aborted) break;
            if (part.type !== 'text-delta' || part.delta === '') continue;
            const delta = roundText === '' ? separator + part.delta : part.delta;
            roundText += part.delta;
            stream.delta({
              messageId: ids.visibleId,
              nodeId: node.id,
              delta,
              interruptible: node.interruptible !== false,
            });
          }
        } catch (error) {
          if (!(interrupt?.aborted && !run.budget.signal.aborted)) throw error;
        }
        if (interrupt?.aborted && !run.budget.signal.aborted) {
          interrupted = true;
          // The aborted stream's final response rejects; nobody waits for it any more.
          result.response.catch(() => undefined);
          if (roundText !== '') text = (text + separator + roundText).trimEnd();
          break;
        }
        last = await result.response;
      } else {
        last = await generateText({ ...common, messages });
        roundText = last.text;
      }
      if (roundText !== '') text += separator + roundText;
      for (const attempt of last.attempts) {
        usage.inputTokens += attempt.inputTokens;
        usage.outputTokens += attempt.outputTokens;
      }
      if (last.toolCalls.length === 0 || round === MAX_TOOL_ROUNDS) break;
      messages.push({ role: 'assistant', content: last.text, toolCalls: last.toolCalls });
      for (const call of last.toolCalls) messages.push(await callTool(run, node, draft, call));
    }
  } catch (error) {
    if (run.budget.signal.aborted)
      throw new TurnFailure('turn_timeout', 'The turn timed out during a model call');
    if (isModelCallError(error)) {
      throw new TurnFailure('model_error', `The model call failed (${error.kind})`, { cause: error });
    }
    throw error;
  } finally {
    await recorder?.flush();
  }

  const costUsd = (recorder?.recorded ?? []).reduce((sum, row) => sum + row.costUsd, 0);
  const modelCalls = (recorder?.recorded ?? []).length;
  draft.state.usage = {
    inputTokens: draft.state.usage.inputTokens + usage.inputTokens,
    outputTokens: draft.state.usage.outputTokens + usage.outputTokens,
    costUsd: Math.round((draft.state.usage.costUsd + costUsd) * 1e8) / 1e8,
    modelCalls: draft.state.usage.modelCalls + modelCalls,
  };
  const citations = cited ? citationsInAnswer(text, cited) : [];
  draft.events.push(
    conversationEvent('llm-call', node.id, {
      turnId: run.turnId,
      provider: last?.provider ?? 'unknown',
      modelId: last?.modelId ?? 'unknown',
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costUsd,
      citations: citations.length,
      ...(run.parentAgentId ? { parentAgentId: run.parentAgentId } : {}),
    }),
  );
  if (node.saveAs) draft.state.vars[node.saveAs] = text;
  if (node.say) {
    say(
      run,
      draft,
      node.id,
      text,
      {
        model: { provider: last?.provider ?? null, modelId: last?.modelId ?? null },
        usage,
        ...(citations.length > 0 ? { citations } : {}),
        ...(interrupted ? { interrupted: true } : {}),
      },
      ids,
    );
  }
  draft.state.cursor = node.next;
  return CONTINUE;
}

async function callTool(run: Run, node: LlmNode, draft: StepDraft, call: ToolCall): Promise<ModelMessage> {
  const startedAt = Date.now();
  const input = { ...call.arguments };
  const result = await run.deps.tools.call(call.name, input, {
    tenantId: run.context.tenantId,
    agentId: run.agent.id,
    conversationId: run.conversationId,
    nodeId: node.id,
    idempotencyKey: `${run.conversationId}:${node.id}:${run.revision}:${call.id}`,
    signal: run.budget.signal,
  });
  draft.events.push(
    conversationEvent('tool-call', node.id, {
      turnId: run.turnId,
      tool: call.name,
      source: 'llm',
      input,
      ok: result.ok,
      ...(result.ok ? { output: result.output } : { error: result.error }),
      durationMs: Date.now() - startedAt,
    }),
  );
  return {
    role: 'tool',
    toolCallId: call.id,
    toolName: call.name,
    content: JSON.stringify(result.ok ? result.output : { error: result.error }),
    ...(result.ok ? {} : { isError: true }),
  };
}
