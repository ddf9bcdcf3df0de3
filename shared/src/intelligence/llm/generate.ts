import type { z } from 'zod';
import { StructuredOutputError } from './errors.ts';
import { type ModelOperation, runAfterSteps } from './hooks.ts';
import { toProviderJsonSchema } from './json-schema.ts';
import type { LanguageModel, LanguageModelRequest, LanguageModelResponse } from './language-model.ts';
import {
  emitRecord,
  type ModelCallRecord,
  type ModelCallSettings,
  type ModelSelection,
  modelsOf,
  runModelChain,
  toModelRequest,
} from './model-call.ts';
import { repairMessages, validateStructuredReply } from './structured-output.ts';

/** A response plus the record of every attempt it took (failed ones and fallbacks included). */
export interface GenerateTextResult extends LanguageModelResponse {
  readonly attempts: readonly ModelCallRecord[];
}

/** Options of {@link generateText}: the model(s), the request and the call settings. */
export type GenerateTextOptions = ModelSelection & LanguageModelRequest & ModelCallSettings;

async function generateWith(
  models: readonly LanguageModel[],
  operation: ModelOperation,
  request: LanguageModelRequest,
  settings: ModelCallSettings,
  firstModelIndex = 0,
): Promise<GenerateTextResult> {
  const records: ModelCallRecord[] = [];
  const { value, attempt } = await runModelChain({
    models,
    firstModelIndex,
    operation,
    request,
    settings,
    records,
    run: async ({ model, request: sent, signal }) => {
      try {
        return await model.generate(sent, {
          signal: signal.signal,
          ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
        });
      } finally {
        signal.dispose();
      }
    },
  });
  const record: ModelCallRecord = {
    operation,
    provider: value.provider,
    modelId: value.modelId,
    modelIndex: attempt.modelIndex,
    attempt: attempt.attempt,
    outcome: 'success',
    inputTokens: value.usage.inputTokens,
    outputTokens: value.usage.outputTokens,
    latencyMs: Date.now() - attempt.startedAt,
    finishReason: value.finishReason,
    metadata: request.metadata ?? {},
  };
  records.push(record);
  // Recorded before the after-steps: tokens were spent even when a step blocks the answer.
  emitRecord(settings.onModelCall, record);
  const response = await runAfterSteps(settings.hooks, value, attempt.context);
  return { ...response, attempts: records };
}

/**
 * One model call through the core: before-steps, the call with retries and fallbacks, usage
 * records, after-steps.
 *
 * @example
 * const reply = await generateText({
 *   models: [registry.languageModel(agent.model), registry.languageModel({ provider: 'offline', model: 'offline' })],
 *   system: agent.instructions,
 *   messages,
 *   tools,
 *   metadata: { tenantId, agentId, conversationId },
 *   hooks,
 *   onModelCall: recordCost,
 * });
 */
export function generateText(options: GenerateTextOptions): Promise<GenerateTextResult> {
  return generateWith(modelsOf(options), 'generate', toModelRequest(options), options);
}

/** Options of {@link generateObject}: a zod schema instead of a response format. */
export type GenerateObjectOptions<T> = ModelSelection &
  Omit<LanguageModelRequest, 'responseFormat'> &
  ModelCallSettings & {
    readonly schema: z.ZodType<T>;
    /** Identifier of the schema for the provider (letters, digits, `_`, `-`); defaults to `response`. */
    readonly schemaName?: string;
    readonly schemaDescription?: string;
  };

/** A validated object and the response that carried it. */
export interface GenerateObjectResult<T> {
  readonly object: T;
  readonly response: GenerateTextResult;
  /** Whether the object came from the repair attempt. */
  readonly repaired: boolean;
}

/**
 * Asks for a JSON object matching a zod schema (turned into JSON schema), validates the reply with
 * zod, and on failure makes one repair attempt that shows the model its validation errors. Throws
 * `StructuredOutputError` with the issues when the repaired reply is still invalid.
 *
 * @example
 * const { object } = await generateObject({
 *   model,
 *   schema: z.object({ intent: z.enum(['order_status', 'refund', 'other']), orderId: z.number().int() }),
 *   schemaName: 'intent',
 *   messages: [{ role: 'user', content: 'Where is order 42?' }],
 * });
 */
export async function generateObject<T>(options: GenerateObjectOptions<T>): Promise<GenerateObjectResult<T>> {
  const models = modelsOf(options);
  const request: LanguageModelRequest = {
    ...toModelRequest(options),
    responseFormat: {
      type: 'json',
      name: options.schemaName ?? 'response',
      schema: toProviderJsonSchema(options.schema),
      ...(options.schemaDescription !== undefined ? { description: options.schemaDescription } : {}),
    },
  };
  const first = await generateWith(models, 'object', request, options);
  const firstCheck = validateStructuredReply(first.text, options.schema);
  if (firstCheck.success) return { object: firstCheck.value, response: first, repaired: false };

  // The repair goes to the model that answered, keeping the rest of the chain behind it.
  const answered = first.attempts.at(-1)?.modelIndex ?? 0;
  const repairRequest: LanguageModelRequest = {
    ...request,
    messages: [...request.messages, ...repairMessages(first.text, firstCheck.issues)],
  };
  const second = await generateWith(models.slice(answered), 'object', repairRequest, options, answered);
  const secondCheck = validateStructuredReply(second.text, options.schema);
  if (secondCheck.success) {
    return {
      object: secondCheck.value,
      response: { ...second, attempts: [...first.attempts, ...second.attempts] },
      repaired: true,
    };
  }
  throw new StructuredOutputError({
    issues: secondCheck.issues,
    text: second.text,
    provider: second.provider,
    modelId: second.modelId,
  });
}
