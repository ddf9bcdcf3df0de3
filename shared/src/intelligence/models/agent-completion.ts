import { z } from 'zod';
import { createModelCallRecorder } from '../../analytics/index.ts';
import { AppError } from '../../core/index.ts';
import type { RequestContext, SecretService } from '../../governance/index.ts';
import type { Database } from '../../platform/index.ts';
import {
  type FinishReason,
  type GenerateTextResult,
  generateObject,
  generateText,
  type ModelCallHooks,
  type ModelMessage,
  type ModelRegistry,
} from '../llm/index.ts';
import { type AgentModelSource, resolveAgentModels } from './agent-models.ts';
import type { ModelEndpointPolicy } from './endpoint-policy.ts';

/** A completion request: the conversation so far and, optionally, the JSON schema of the answer. */
export interface AgentCompletionInput {
  messages: readonly { role: 'user' | 'assistant'; content: string }[];
  /** A JSON schema (object at the root); the answer is then a validated object. */
  responseSchema?: Record<string, unknown> | undefined;
  /** The schema's name for the provider (letters, digits, `_`, `-`); defaults to `response`. */
  schemaName?: string | undefined;
  conversationId?: string | undefined;
}

/** The answer, tagged with the provider and model that gave it, and what it cost. */
export interface AgentCompletionResult {
  agentId: string;
  providerId: string | null;
  provider: string;
  model: string;
  text: string;
  object?: unknown;
  finishReason: FinishReason;
  usage: { inputTokens: number; outputTokens: number };
  /** Attempts made (retries and fallbacks included). */
  attempts: number;
  /** Position in the agent's chain of the model that answered (0 = primary). */
  modelIndex: number;
  cost: { usd: number; priceVersion: string | null; priced: boolean };
  latencyMs: number;
}

/** Keywords refused in a response schema: regexes supplied by callers would run on model output (ReDoS). */
const REFUSED_KEYWORDS = new Set(['pattern', 'patternProperties', '$dynamicRef', '$recursiveRef']);

function refusedKeyword(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node)) {
      if (REFUSED_KEYWORDS.has(key)) return key;
      pending.push(child);
    }
  }
  return undefined;
}

/** Turns a caller's JSON schema into the zod schema the core validates replies with; 400 when unusable. */
export function responseSchemaFromJson(schema: Record<string, unknown>): z.ZodType {
  const invalid = (message: string) =>
    new AppError('validation_failed', `Invalid responseSchema: ${message}`, {
      details: { location: 'body', issues: [{ path: 'responseSchema', message, code: 'invalid_schema' }] },
    });
  if (schema.type !== 'object') throw invalid('the root must be { "type": "object", … }');
  const refused = refusedKeyword(schema);
  if (refused) throw invalid(`the "${refused}" keyword is not supported`);
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : 'not a usable JSON schema');
  }
}

/** The agent's instructions, when its configuration has them. */
function instructionsOf(agent: AgentModelSource): string | undefined {
  for (const key of ['instructions', 'systemPrompt', 'prompt']) {
    const value = agent.config[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

/** Dependencies of the completion service. */
export interface AgentCompletionDeps {
  readonly db: Database;
  readonly secrets: SecretService;
  readonly registry: ModelRegistry;
  readonly endpointPolicy: ModelEndpointPolicy;
  readonly hooks?: ModelCallHooks;
}

/**
 * One-shot completions through an agent's configured model chain (`config.llm`), with retries,
 * fallbacks, the hook pipeline and cost capture: every attempt becomes a priced `model_calls` row,
 * written before the answer is returned.
 */
export function createAgentCompletionService(deps: AgentCompletionDeps) {
  return {
    async complete(
      context: RequestContext,
      agent: AgentModelSource,
      input: AgentCompletionInput,
    ): Promise<AgentCompletionResult> {
      const schema = input.responseSchema ? responseSchemaFromJson(input.responseSchema) : undefined;
      const { models, entries, redact } = await resolveAgentModels(
        deps.db,
        deps.secrets,
        deps.registry,
        context,
        agent,
        {
          endpointPolicy: deps.endpointPolicy,
        },
      );
      const recorder = createModelCallRecorder(deps.db, context, {
        attribution: { agentId: agent.id, conversationId: input.conversationId ?? null },
      });
      const system = instructionsOf(agent);
      const common = {
        models,
        messages: input.messages as readonly ModelMessage[],
        ...(system !== undefined ? { system } : {}),
        metadata: {
          tenantId: context.tenantId,
          agentId: agent.id,
          ...(input.conversationId ? { conversationId: input.conversationId } : {}),
        },
        onModelCall: recorder.listener,
        ...(deps.hooks ? { hooks: deps.hooks } : {}),
      };
      const startedAt = Date.now();
      let response: GenerateTextResult;
      let object: unknown;
      try {
        if (schema) {
          const result = await generateObject({
            ...common,
            schema,
            schemaName: input.schemaName ?? 'response',
          });
          response = result.response;
          object = result.object;
        } else {
          response = await generateText(common);
        }
      } catch (error) {
        if (error instanceof Error) {
          error.message = redact(error.message);
          if (error.stack) error.stack = redact(error.stack);
        }
        throw error;
      } finally {
        await recorder.flush();
      }
      const modelIndex = response.attempts.at(-1)?.modelIndex ?? 0;
      const entry = entries[modelIndex];
      const usd = recorder.recorded.reduce((sum, row) => sum + row.costUsd, 0);
      return {
        agentId: agent.id,
        providerId: entry?.providerId ?? null,
        provider: response.provider,
        model: response.modelId,
        text: response.text,
        ...(schema ? { object } : {}),
        finishReason: response.finishReason,
        usage: {
          inputTokens: response.attempts.reduce((sum, attempt) => sum + attempt.inputTokens, 0),
          outputTokens: response.attempts.reduce((sum, attempt) => sum + attempt.outputTokens, 0),
        },
        attempts: response.attempts.length,
        modelIndex,
        cost: {
          usd: Math.round(usd * 1e8) / 1e8,
          priceVersion: recorder.recorded[0]?.priceVersion ?? null,
          priced: recorder.recorded.every((row) => row.priced),
        },
        latencyMs: Date.now() - startedAt,
      };
    },
  };
}

export type AgentCompletionService = ReturnType<typeof createAgentCompletionService>;
