import { z } from 'zod';
import { ModelCallError } from '../errors.ts';
import type {
  FinishReason,
  LanguageModel,
  LanguageModelCallOptions,
  LanguageModelRequest,
  LanguageModelResponse,
  LanguageModelUsage,
  StreamPart,
  ToolCall,
} from '../language-model.ts';
import { parseToolArguments } from '../tool-arguments.ts';
import { createToolNameCodec, type ToolNameCodec, toolNamesOf } from '../tool-names.ts';
import { convertToOpenAIChatRequest, type OpenAIWireCapabilities } from './convert-to-openai-prompt.ts';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.ts';
import { type OpenAIChatChunk, openaiChatChunkSchema, openaiChatResponseSchema } from './openai-api.ts';
import type { OpenAIClient } from './openai-client.ts';
import { mapOpenAIError } from './openai-error.ts';

/** Capabilities of the endpoint behind an {@link OpenAILanguageModel}. */
export interface OpenAIModelCapabilities extends OpenAIWireCapabilities {
  /** Ask for a usage chunk at the end of a stream (`stream_options.include_usage`). */
  readonly includeStreamUsage: boolean;
}

/** Construction parameters of an {@link OpenAILanguageModel}. */
export interface OpenAILanguageModelConfig {
  readonly provider: string;
  readonly modelId: string;
  readonly client: OpenAIClient;
  readonly capabilities: OpenAIModelCapabilities;
}

interface PendingToolCall {
  readonly id: string;
  readonly wireName: string;
  arguments: string;
}

/** A chat model reached through the Chat Completions API (OpenAI or any compatible server). */
export class OpenAILanguageModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly provider: string;
  readonly modelId: string;
  readonly #client: OpenAIClient;
  readonly #capabilities: OpenAIModelCapabilities;

  constructor(config: OpenAILanguageModelConfig) {
    this.provider = config.provider;
    this.modelId = config.modelId;
    this.#client = config.client;
    this.#capabilities = config.capabilities;
  }

  #invalidResponse(error: z.ZodError): ModelCallError {
    return new ModelCallError({
      kind: 'invalid-response',
      message: `${this.provider}: unexpected response shape: ${z.prettifyError(error)}`,
      provider: this.provider,
      modelId: this.modelId,
      cause: error,
    });
  }

  #aborted(): ModelCallError {
    return new ModelCallError({
      kind: 'aborted',
      message: `${this.provider}: the call was aborted`,
      provider: this.provider,
      modelId: this.modelId,
    });
  }

  #toolCall(pending: PendingToolCall, codec: ToolNameCodec): ToolCall {
    const name = codec.fromWire(pending.wireName);
    return { id: pending.id, name, arguments: parseToolArguments(pending.arguments, this, name) };
  }

  async generate(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): Promise<LanguageModelResponse> {
    const startedAt = Date.now();
    const codec = createToolNameCodec(toolNamesOf(request));
    const body = convertToOpenAIChatRequest(request, this.modelId, codec, this.#capabilities);
    let raw: unknown;
    try {
      raw = await this.#client.createChatCompletion(body, options);
    } catch (error) {
      throw mapOpenAIError(error, this);
    }
    const parsed = openaiChatResponseSchema.safeParse(raw);
    if (!parsed.success) throw this.#invalidResponse(parsed.error);
    const [choice] = parsed.data.choices;
    if (!choice) throw new Error('unreachable: the schema requires one choice');
    const toolCalls = (choice.message.tool_calls ?? []).map((call) =>
      this.#toolCall(
        { id: call.id, wireName: call.function.name, arguments: call.function.arguments },
        codec,
      ),
    );
    const refusal = choice.message.refusal ?? undefined;
    return {
      text: choice.message.content ?? '',
      toolCalls,
      finishReason: refusal === undefined ? mapOpenAIFinishReason(choice.finish_reason) : 'content-filter',
      usage: {
        inputTokens: parsed.data.usage?.prompt_tokens ?? 0,
        outputTokens: parsed.data.usage?.completion_tokens ?? 0,
      },
      provider: this.provider,
      modelId: this.modelId,
      latencyMs: Date.now() - startedAt,
      providerMetadata: {
        responseId: parsed.data.id ?? undefined,
        responseModel: parsed.data.model ?? undefined,
        ...(refusal === undefined ? {} : { refusal }),
      },
    };
  }

  async *stream(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): AsyncGenerator<StreamPart> {
    const codec = createToolNameCodec(toolNamesOf(request));
    const body = convertToOpenAIChatRequest(request, this.modelId, codec, this.#capabilities);
    let chunks: AsyncIterable<unknown>;
    try {
      chunks = await this.#client.streamChatCompletion(body, {
        ...options,
        includeUsage: this.#capabilities.includeStreamUsage,
      });
    } catch (error) {
      throw mapOpenAIError(error, this);
    }

    const pending = new Map<number, PendingToolCall>();
    let finishReason: FinishReason | undefined;
    let usage: LanguageModelUsage = { inputTokens: 0, outputTokens: 0 };
    let responseId: string | undefined;
    try {
      for await (const raw of chunks) {
        const parsed = openaiChatChunkSchema.safeParse(raw);
        if (!parsed.success) throw this.#invalidResponse(parsed.error);
        const chunk: OpenAIChatChunk = parsed.data;
        responseId ??= chunk.id ?? undefined;
        if (chunk.usage) {
          usage = {
            inputTokens: chunk.usage.prompt_tokens ?? 0,
            outputTokens: chunk.usage.completion_tokens ?? 0,
          };
        }
        const choice = chunk.choices[0];
        if (!choice) continue;
        const content = choice.delta?.content;
        if (content) yield { type: 'text-delta', delta: content };
        for (const delta of choice.delta?.tool_calls ?? []) {
          let call = pending.get(delta.index);
          if (!call) {
            // Some compatible servers omit the id; the index still identifies the call.
            call = {
              id: delta.id ?? `call_${delta.index}`,
              wireName: delta.function?.name ?? '',
              arguments: '',
            };
            pending.set(delta.index, call);
          }
          const argumentsDelta = delta.function?.arguments ?? '';
          call.arguments += argumentsDelta;
          yield {
            type: 'tool-call-delta',
            id: call.id,
            name: codec.fromWire(call.wireName),
            argumentsDelta,
          };
        }
        if (choice.finish_reason) {
          finishReason = mapOpenAIFinishReason(choice.finish_reason);
          for (const call of pending.values()) yield { type: 'tool-call', ...this.#toolCall(call, codec) };
          pending.clear();
        }
      }
    } catch (error) {
      throw mapOpenAIError(error, this);
    }
    // The SDK ends an aborted stream quietly; the port promises an error.
    if (options.signal?.aborted) throw this.#aborted();
    if (finishReason === undefined) {
      throw new ModelCallError({
        kind: 'network',
        message: `${this.provider}: the stream ended before the model finished`,
        provider: this.provider,
        modelId: this.modelId,
      });
    }
    yield { type: 'finish', finishReason, usage, providerMetadata: { responseId } };
  }
}
