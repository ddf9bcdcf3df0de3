import type { LanguageModelRequest, LanguageModelResponse, ModelCallMetadata } from './language-model.ts';

/** Which core function made a model call. */
export type ModelOperation = 'generate' | 'stream' | 'object';

/** What a hook step knows about the call it wraps. */
export interface ModelCallContext {
  readonly operation: ModelOperation;
  readonly provider: string;
  readonly modelId: string;
  /** The model's position in the fallback chain (0 = the primary). */
  readonly modelIndex: number;
  readonly metadata: ModelCallMetadata;
}

/** Runs before a model sees a request; returns the request to send (e.g. with PII redacted). Throw to block. */
export type BeforeModelCallStep = (
  request: LanguageModelRequest,
  context: ModelCallContext,
) => LanguageModelRequest | Promise<LanguageModelRequest>;

/** Runs on a model's complete response before the caller gets it (e.g. an output guardrail). Throw to block. */
export type AfterModelCallStep = (
  response: LanguageModelResponse,
  context: ModelCallContext,
) => LanguageModelResponse | Promise<LanguageModelResponse>;

/**
 * The pipeline around every model call (generate, stream, object), empty by default. Steps run in
 * order, each on the previous one's output. Before-steps run once per model of the fallback chain
 * (so a step may treat an on-prem model differently from a hosted one), not once per retry;
 * after-steps run on the successful response (for streams: the aggregated one, before the
 * `finish` part is delivered). An error thrown by a step is not a model failure: it is not retried
 * and does not fall back, it reaches the caller as is.
 *
 * @example
 * const hooks = composeModelCallHooks(
 *   { before: [redactPii] },
 *   { after: [checkOutputGuardrails] },
 * );
 */
export interface ModelCallHooks {
  readonly before?: readonly BeforeModelCallStep[];
  readonly after?: readonly AfterModelCallStep[];
}

/** Joins hook sets in order: all before-steps of the first set, then the second's, and so on. */
export function composeModelCallHooks(...hooks: readonly ModelCallHooks[]): ModelCallHooks {
  return {
    before: hooks.flatMap((hook) => hook.before ?? []),
    after: hooks.flatMap((hook) => hook.after ?? []),
  };
}

/** Runs the before-steps in order. */
export async function runBeforeSteps(
  hooks: ModelCallHooks | undefined,
  request: LanguageModelRequest,
  context: ModelCallContext,
): Promise<LanguageModelRequest> {
  let current = request;
  for (const step of hooks?.before ?? []) current = await step(current, context);
  return current;
}

/** Runs the after-steps in order. */
export async function runAfterSteps(
  hooks: ModelCallHooks | undefined,
  response: LanguageModelResponse,
  context: ModelCallContext,
): Promise<LanguageModelResponse> {
  let current = response;
  for (const step of hooks?.after ?? []) current = await step(current, context);
  return current;
}
