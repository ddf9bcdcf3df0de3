import { AppError } from '../../core/index.ts';
import { ModelCallError } from './errors.ts';
import type { GenerateTextResult } from './generate.ts';
import { runAfterSteps } from './hooks.ts';
import type { LanguageModelRequest, LanguageModelResponse, StreamPart, ToolCall } from './language-model.ts';
import {
  type ChainSuccess,
  emitRecord,
  type ModelCallRecord,
  type ModelCallSettings,
  type ModelSelection,
  modelsOf,
  normalizeAttemptError,
  runModelChain,
  toModelRequest,
} from './model-call.ts';

/** Options of {@link streamText}: the model(s), the request and the call settings. */
export type StreamTextOptions = ModelSelection & LanguageModelRequest & ModelCallSettings;

/**
 * A streamed call: iterate it (once) for the parts; `response` settles when the stream ends, with
 * the aggregated response after the after-steps, or with the error the iteration threw.
 */
export interface StreamTextResult extends AsyncIterable<StreamPart> {
  readonly response: Promise<GenerateTextResult>;
}

interface OpenedStream {
  readonly iterator: AsyncIterator<StreamPart>;
  readonly first: IteratorResult<StreamPart>;
}

/**
 * Streams one model call through the core. Retries and fallbacks apply until the first part
 * arrives (after that, parts already reached the caller); the timeout is the longest wait for the
 * next part. The after-steps see the aggregated response before the `finish` part is delivered;
 * deltas already delivered cannot be recalled, so an output guardrail that must hold text back
 * belongs on `generateText`, or the consumer buffers until `finish`. Stopping the iteration early
 * (break, or aborting `signal`) cancels the vendor request.
 *
 * @example
 * const result = streamText({ model, system, messages, signal: request.signal });
 * for await (const part of result) if (part.type === 'text-delta') send(part.delta);
 * const { usage } = await result.response;
 */
export function streamText(options: StreamTextOptions): StreamTextResult {
  const models = modelsOf(options);
  const request = toModelRequest(options);
  let resolveResponse: (response: GenerateTextResult) => void = () => undefined;
  let rejectResponse: (error: unknown) => void = () => undefined;
  const response = new Promise<GenerateTextResult>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  // The promise is optional to await; an unobserved failure must not become an unhandled rejection.
  response.catch(() => undefined);
  let started = false;

  async function* run(): AsyncGenerator<StreamPart> {
    const records: ModelCallRecord[] = [];
    let opened: ChainSuccess<OpenedStream>;
    try {
      opened = await runModelChain({
        models,
        operation: 'stream',
        request,
        settings: options,
        records,
        run: async ({ model, request: sent, signal }) => {
          const iterator = model
            .stream(sent, {
              signal: signal.signal,
              ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
            })
            [Symbol.asyncIterator]();
          return { iterator, first: await iterator.next() };
        },
      });
    } catch (error) {
      rejectResponse(error);
      throw error;
    }

    const { attempt } = opened;
    const { iterator } = opened.value;
    const { model, signal } = attempt;
    let current = opened.value.first;
    let text = '';
    const toolCalls: ToolCall[] = [];
    let settled = false;
    let finished = false;
    const record = (outcome: ModelCallRecord['outcome'], extra: Partial<ModelCallRecord>): void => {
      const entry: ModelCallRecord = {
        operation: 'stream',
        provider: model.provider,
        modelId: model.modelId,
        modelIndex: attempt.modelIndex,
        attempt: attempt.attempt,
        outcome,
        inputTokens: 0,
        outputTokens: 0,
        latencyMs: Date.now() - attempt.startedAt,
        metadata: request.metadata ?? {},
        ...extra,
      };
      records.push(entry);
      emitRecord(options.onModelCall, entry);
    };

    try {
      while (!current.done) {
        const part = current.value;
        signal.touch();
        if (part.type === 'finish') {
          finished = true;
          record('success', {
            inputTokens: part.usage.inputTokens,
            outputTokens: part.usage.outputTokens,
            finishReason: part.finishReason,
          });
          const aggregated: LanguageModelResponse = {
            text,
            toolCalls,
            finishReason: part.finishReason,
            usage: part.usage,
            provider: model.provider,
            modelId: model.modelId,
            latencyMs: Date.now() - attempt.startedAt,
            ...(part.providerMetadata ? { providerMetadata: part.providerMetadata } : {}),
          };
          const final = await runAfterSteps(options.hooks, aggregated, attempt.context);
          settled = true;
          resolveResponse({ ...final, attempts: records });
          yield part;
          return;
        }
        if (part.type === 'text-delta') text += part.delta;
        if (part.type === 'tool-call')
          toolCalls.push({ id: part.id, name: part.name, arguments: part.arguments });
        yield part;
        current = await iterator.next();
      }
      throw new ModelCallError({
        kind: 'invalid-response',
        message: `${model.provider}: the stream ended without a finish part`,
        provider: model.provider,
        modelId: model.modelId,
      });
    } catch (raw) {
      settled = true;
      if (finished) {
        // An after-step blocked the response: not a model failure.
        rejectResponse(raw);
        throw raw;
      }
      const error = normalizeAttemptError(raw, model, signal, options.signal, options.timeoutMs);
      record(error.kind === 'aborted' ? 'aborted' : 'error', { errorKind: error.kind });
      rejectResponse(error);
      throw error;
    } finally {
      if (!settled) {
        // The consumer stopped reading: cancel the vendor request.
        signal.abort();
        record('aborted', { errorKind: 'aborted' });
        rejectResponse(
          new ModelCallError({
            kind: 'aborted',
            message: `${model.provider}: the consumer stopped reading the stream`,
            provider: model.provider,
            modelId: model.modelId,
          }),
        );
      }
      signal.dispose();
      try {
        await iterator.return?.();
      } catch {
        // The adapter's cleanup failing does not change the outcome.
      }
    }
  }

  return {
    response,
    [Symbol.asyncIterator]() {
      if (started) throw new AppError('internal_error', 'A streamText result can be iterated only once');
      started = true;
      return run();
    },
  };
}
