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
import { createToolNameCodec, toolNamesOf } from '../tool-names.ts';
import { type AnthropicUsage, anthropicMessageSchema, anthropicStreamEventSchema } from './anthropic-api.ts';
import type { AnthropicClient } from './anthropic-client.ts';
import { mapAnthropicError } from './anthropic-error.ts';
import { convertToAnthropicMessagesRequest } from './convert-to-anthropic-prompt.ts';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.ts';

/** Construction parameters of an {@link AnthropicLanguageModel}. */
export interface AnthropicLanguageModelConfig {
  readonly provider: string;
  readonly modelId: string;
  readonly client: AnthropicClient;
  /** `max_tokens` is required by the API; used when a request sets no `maxOutputTokens`. */
  readonly defaultMaxTokens: number;
}

type StreamBlock =
  | { readonly kind: 'text' }
  | { readonly kind: 'tool'; readonly id: string; readonly wireName: string; json: string }
  | { readonly kind: 'response'; json: string }
  | { readonly kind: 'other' };

function totalInputTokens(usage: AnthropicUsage | null | undefined): number {
  if (!usage) return 0;
  return (
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0)
  );
}

/** A Claude model reached through the Messages API. */
export class AnthropicLanguageModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly provider: string;
  readonly modelId: string;
  readonly #client: AnthropicClient;
  readonly #defaultMaxTokens: number;

  constructor(config: AnthropicLanguageModelConfig) {
    this.provider = config.provider;
    this.modelId = config.modelId;
    this.#client = config.client;
    this.#defaultMaxTokens = config.defaultMaxTokens;
  }

  #error(kind: 'invalid-response' | 'aborted' | 'network', message: string, cause?: unknown): ModelCallError {
    return new ModelCallError({
      kind,
      message: `${this.provider}: ${message}`,
      provider: this.provider,
      modelId: this.modelId,
      cause,
    });
  }

  async generate(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): Promise<LanguageModelResponse> {
    const startedAt = Date.now();
    const codec = createToolNameCodec(toolNamesOf(request));
    const prompt = convertToAnthropicMessagesRequest(request, this.modelId, codec, this.#defaultMaxTokens);
    let raw: unknown;
    try {
      raw = await this.#client.createMessage(prompt.body, options);
    } catch (error) {
      throw mapAnthropicError(error, this);
    }
    const parsed = anthropicMessageSchema.safeParse(raw);
    if (!parsed.success) {
      throw this.#error('invalid-response', `unexpected response shape: ${z.prettifyError(parsed.error)}`);
    }
    let text = '';
    let structured: string | undefined;
    const toolCalls: ToolCall[] = [];
    for (const block of parsed.data.content) {
      if (block.type === 'text' && 'text' in block) text += block.text;
      if (block.type !== 'tool_use' || !('input' in block)) continue;
      if (block.name === prompt.responseToolName) structured = JSON.stringify(block.input);
      else toolCalls.push({ id: block.id, name: codec.fromWire(block.name), arguments: block.input });
    }
    const usage = parsed.data.usage;
    return {
      text: structured ?? text,
      toolCalls,
      finishReason: mapAnthropicFinishReason(parsed.data.stop_reason, {
        structured: prompt.responseToolName !== undefined,
      }),
      usage: { inputTokens: totalInputTokens(usage), outputTokens: usage?.output_tokens ?? 0 },
      provider: this.provider,
      modelId: this.modelId,
      latencyMs: Date.now() - startedAt,
      providerMetadata: {
        responseId: parsed.data.id ?? undefined,
        responseModel: parsed.data.model ?? undefined,
        cacheReadInputTokens: usage?.cache_read_input_tokens ?? 0,
        cacheCreationInputTokens: usage?.cache_creation_input_tokens ?? 0,
      },
    };
  }

  async *stream(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): AsyncGenerator<StreamPart> {
    const codec = createToolNameCodec(toolNamesOf(request));
    const prompt = convertToAnthropicMessagesRequest(request, this.modelId, codec, this.#defaultMaxTokens);
    let events: AsyncIterable<unknown>;
    try {
      events = await this.#client.streamMessage(prompt.body, options);
    } catch (error) {
      throw mapAnthropicError(error, this);
    }

    const blocks = new Map<number, StreamBlock>();
    let stopReason: string | undefined;
    let usage: LanguageModelUsage = { inputTokens: 0, outputTokens: 0 };
    let responseId: string | undefined;
    try {
      for await (const raw of events) {
        const parsed = anthropicStreamEventSchema.safeParse(raw);
        if (!parsed.success) {
          throw this.#error('invalid-response', `unexpected stream event: ${z.prettifyError(parsed.error)}`);
        }
        const event = parsed.data;
        switch (event.type) {
          case 'message_start':
            responseId = event.message.id ?? undefined;
            usage = {
              inputTokens: totalInputTokens(event.message.usage),
              outputTokens: event.message.usage?.output_tokens ?? 0,
            };
            break;
          case 'content_block_start': {
            const block = event.content_block;
            if (block.type === 'text' && 'text' in block) {
              blocks.set(event.index, { kind: 'text' });
              if (block.text !== '') yield { type: 'text-delta', delta: block.text };
            } else if (block.type === 'tool_use' && 'name' in block) {
              if (block.name === prompt.responseToolName) {
                blocks.set(event.index, { kind: 'response', json: '' });
              } else {
                blocks.set(event.index, { kind: 'tool', id: block.id, wireName: block.name, json: '' });
                yield {
                  type: 'tool-call-delta',
                  id: block.id,
                  name: codec.fromWire(block.name),
                  argumentsDelta: '',
                };
              }
            } else {
              blocks.set(event.index, { kind: 'other' });
            }
            break;
          }
          case 'content_block_delta': {
            const block = blocks.get(event.index);
            const delta = event.delta;
            if (block?.kind === 'text' && delta.type === 'text_delta' && 'text' in delta) {
              yield { type: 'text-delta', delta: delta.text };
            } else if (block?.kind === 'tool' && 'partial_json' in delta) {
              block.json += delta.partial_json;
              const name = codec.fromWire(block.wireName);
              yield { type: 'tool-call-delta', id: block.id, name, argumentsDelta: delta.partial_json };
            } else if (block?.kind === 'response' && 'partial_json' in delta) {
              // The forced tool's input is the structured reply: stream it as text.
              block.json += delta.partial_json;
              if (delta.partial_json !== '') yield { type: 'text-delta', delta: delta.partial_json };
            }
            break;
          }
          case 'content_block_stop': {
            const block = blocks.get(event.index);
            if (block?.kind === 'tool') {
              const name = codec.fromWire(block.wireName);
              yield {
                type: 'tool-call',
                id: block.id,
                name,
                arguments: parseToolArguments(block.json, this, name),
              };
            }
            break;
          }
          case 'message_delta':
            stopReason = event.delta.stop_reason ?? stopReason;
            usage = {
              inputTokens:
                event.usage?.input_tokens != null ? totalInputTokens(event.usage) : usage.inputTokens,
              outputTokens: event.usage?.output_tokens ?? usage.outputTokens,
            };
            break;
          case 'message_stop':
            break;
        }
      }
    } catch (error) {
      throw mapAnthropicError(error, this);
    }
    // The SDK ends an aborted stream quietly; the port promises an error.
    if (options.signal?.aborted) throw this.#error('aborted', 'the call was aborted');
    if (stopReason === undefined) throw this.#error('network', 'the stream ended before the model finished');
    const finishReason: FinishReason = mapAnthropicFinishReason(stopReason, {
      structured: prompt.responseToolName !== undefined,
    });
    yield { type: 'finish', finishReason, usage, providerMetadata: { responseId } };
  }
}
