import { ModelCallError, type ModelCallErrorKind } from './errors.ts';
import type {
  FinishReason,
  LanguageModel,
  LanguageModelCallOptions,
  LanguageModelRequest,
  LanguageModelResponse,
  LanguageModelUsage,
  StreamPart,
  ToolCall,
} from './language-model.ts';

/** One scripted turn of a {@link ScriptedLanguageModel}. */
export type ScriptedStep =
  | {
      readonly type: 'response';
      readonly text?: string;
      readonly toolCalls?: readonly ToolCall[];
      readonly finishReason?: FinishReason;
      readonly usage?: LanguageModelUsage;
      /** Streams only: fail with a network error after this many parts. */
      readonly failAfterParts?: number;
    }
  | {
      readonly type: 'error';
      readonly kind: ModelCallErrorKind;
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly retryable?: boolean;
    }
  /** Never answers; settles only when the call's signal aborts (for timeout and abort paths). */
  | { readonly type: 'hang' };

/** What the model received. */
export interface ScriptedCall {
  readonly request: LanguageModelRequest;
  readonly options: LanguageModelCallOptions;
  readonly mode: 'generate' | 'stream';
}

/**
 * A test double of the port that ships beside it: a real, working `LanguageModel` that answers
 * with scripted steps in order (the last one repeats) and records every request it received.
 * For retry, fallback, timeout, hook and repair paths without a vendor.
 */
export class ScriptedLanguageModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly provider: string;
  readonly modelId: string;
  readonly calls: ScriptedCall[] = [];
  readonly #steps: readonly ScriptedStep[];

  constructor(options: { provider?: string; modelId?: string; steps: readonly ScriptedStep[] }) {
    if (options.steps.length === 0) throw new Error('A scripted model needs at least one step');
    this.provider = options.provider ?? 'scripted';
    this.modelId = options.modelId ?? 'scripted-model';
    this.#steps = options.steps;
  }

  #next(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions,
    mode: ScriptedCall['mode'],
  ): ScriptedStep {
    this.calls.push({ request, options, mode });
    const step = this.#steps[Math.min(this.calls.length, this.#steps.length) - 1];
    if (!step) throw new Error('unreachable: the constructor requires steps');
    return step;
  }

  #error(kind: ModelCallErrorKind, extra: Partial<Pick<ModelCallError, 'retryAfterMs' | 'retryable'>> = {}) {
    return new ModelCallError({
      kind,
      message: `${this.provider}: scripted ${kind}`,
      provider: this.provider,
      modelId: this.modelId,
      ...(extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
      ...(extra.retryable !== undefined ? { retryable: extra.retryable } : {}),
    });
  }

  #waitForAbort(signal: AbortSignal | undefined): Promise<never> {
    return new Promise((_resolve, reject) => {
      const fail = () => reject(this.#error('aborted'));
      if (signal?.aborted) fail();
      else signal?.addEventListener('abort', fail, { once: true });
    });
  }

  async #settle(step: ScriptedStep, options: LanguageModelCallOptions) {
    if (step.type === 'hang') return this.#waitForAbort(options.signal);
    if (step.type === 'error') {
      throw this.#error(step.kind, {
        ...(step.retryAfterMs !== undefined ? { retryAfterMs: step.retryAfterMs } : {}),
        ...(step.retryable !== undefined ? { retryable: step.retryable } : {}),
      });
    }
    return step;
  }

  async generate(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): Promise<LanguageModelResponse> {
    const step = await this.#settle(this.#next(request, options, 'generate'), options);
    const toolCalls = step.toolCalls ?? [];
    return {
      text: step.text ?? '',
      toolCalls,
      finishReason: step.finishReason ?? (toolCalls.length > 0 ? 'tool-calls' : 'stop'),
      usage: step.usage ?? { inputTokens: 10, outputTokens: 5 },
      provider: this.provider,
      modelId: this.modelId,
      latencyMs: 0,
    };
  }

  async *stream(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): AsyncGenerator<StreamPart> {
    const step = await this.#settle(this.#next(request, options, 'stream'), options);
    const toolCalls = step.toolCalls ?? [];
    const parts: StreamPart[] = [];
    for (const delta of (step.text ?? '').match(/\S+\s*/g) ?? []) parts.push({ type: 'text-delta', delta });
    for (const call of toolCalls) {
      parts.push({
        type: 'tool-call-delta',
        id: call.id,
        name: call.name,
        argumentsDelta: JSON.stringify(call.arguments),
      });
      parts.push({ type: 'tool-call', ...call });
    }
    parts.push({
      type: 'finish',
      finishReason: step.finishReason ?? (toolCalls.length > 0 ? 'tool-calls' : 'stop'),
      usage: step.usage ?? { inputTokens: 10, outputTokens: 5 },
    });
    for (const [index, part] of parts.entries()) {
      if (step.failAfterParts !== undefined && index === step.failAfterParts) throw this.#error('network');
      await Promise.resolve();
      if (options.signal?.aborted) throw this.#error('aborted');
      yield part;
    }
  }
}
