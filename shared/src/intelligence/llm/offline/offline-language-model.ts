import { ModelCallError } from '../errors.ts';
import type {
  FinishReason,
  LanguageModel,
  LanguageModelCallOptions,
  LanguageModelRequest,
  LanguageModelResponse,
  ModelMessage,
  StreamPart,
  ToolCall,
} from '../language-model.ts';
import { parseContextFromSystem } from '../prompt-context.ts';
import { answerFromContext, answerFromToolResults, type OfflineToolResult } from './offline-answer.ts';
import { fillJsonSchema } from './offline-schema-filler.ts';
import { estimateTokens, fnv1a } from './offline-text.ts';
import { selectToolCall } from './offline-tool-selection.ts';

/** What every offline reply carries in `providerMetadata`, so a UI can mark it. */
export type OfflineProviderMetadata = {
  readonly offline: true;
  /** Ids of the context passages the reply quotes. */
  readonly citations: readonly string[];
  /** Which path produced the reply. */
  readonly mode: 'structured' | 'tool-call' | 'tool-result' | 'context';
};

interface OfflineReply {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  readonly metadata: OfflineProviderMetadata;
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.startsWith('{') || trimmed.startsWith('[');
}

/**
 * The user's words, most recent first. A user turn that answers one of the model's own JSON
 * replies is feedback on that reply (a repair request), not the question, and is skipped.
 */
function userTexts(messages: readonly ModelMessage[]): string[] {
  const texts: string[] = [];
  messages.forEach((message, index) => {
    if (message.role !== 'user') return;
    const previous = messages[index - 1];
    const isFeedback =
      previous?.role === 'assistant' &&
      (previous.toolCalls ?? []).length === 0 &&
      looksLikeJson(previous.content);
    if (!isFeedback) texts.push(message.content);
  });
  return texts.reverse();
}

/** The tool results after the model's latest turn. */
function latestToolResults(messages: readonly ModelMessage[]): OfflineToolResult[] {
  const results: OfflineToolResult[] = [];
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role !== 'tool') break;
    results.unshift(message);
  }
  return results;
}

function promptText(request: LanguageModelRequest): string {
  const parts = [request.system ?? '', ...request.messages.map((message) => message.content)];
  for (const document of request.context ?? []) parts.push(document.text);
  for (const tool of request.tools ?? [])
    parts.push(tool.name, tool.description, JSON.stringify(tool.inputSchema));
  return parts.join('\n');
}

/**
 * A language model that needs no network and no weights, for the embedded default and for tests:
 * it answers from the context it is given (the most relevant sentences, cited by id), calls the
 * tool whose description matches the user's words, phrases tool results, and fills JSON schemas
 * from the user's text. Same request, same reply, every time; every reply is marked offline.
 */
export class OfflineLanguageModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly provider = 'offline';
  readonly modelId: string;

  constructor(modelId = 'offline') {
    this.modelId = modelId;
  }

  #checkAborted(signal: AbortSignal | undefined): void {
    if (!signal?.aborted) return;
    throw new ModelCallError({
      kind: 'aborted',
      message: 'offline: the call was aborted',
      provider: this.provider,
      modelId: this.modelId,
    });
  }

  #reply(request: LanguageModelRequest): OfflineReply {
    const texts = userTexts(request.messages);
    const question = texts[0] ?? '';
    const last = request.messages.at(-1);
    if (request.responseFormat) {
      const value = fillJsonSchema(request.responseFormat.schema, { texts, strict: false });
      return {
        text: JSON.stringify(value ?? {}),
        toolCalls: [],
        finishReason: 'stop',
        metadata: { offline: true, citations: [], mode: 'structured' },
      };
    }
    if (last?.role === 'user') {
      const selection = selectToolCall(request.tools ?? [], request.toolChoice, texts);
      if (selection) {
        const id = `call_offline_${fnv1a(`${request.messages.length}:${selection.name}:${JSON.stringify(selection.arguments)}`).toString(16)}`;
        return {
          text: '',
          toolCalls: [{ id, name: selection.name, arguments: selection.arguments }],
          finishReason: 'tool-calls',
          metadata: { offline: true, citations: [], mode: 'tool-call' },
        };
      }
    }
    if (last?.role === 'tool') {
      const answer = answerFromToolResults(latestToolResults(request.messages), question);
      return {
        text: answer.text,
        toolCalls: [],
        finishReason: 'stop',
        metadata: { offline: true, citations: answer.citations, mode: 'tool-result' },
      };
    }
    const documents = request.context ?? parseContextFromSystem(request.system);
    const answer = answerFromContext(question, documents);
    return {
      text: answer.text,
      toolCalls: [],
      finishReason: 'stop',
      metadata: { offline: true, citations: answer.citations, mode: 'context' },
    };
  }

  async generate(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): Promise<LanguageModelResponse> {
    const startedAt = Date.now();
    this.#checkAborted(options.signal);
    const reply = this.#reply(request);
    return {
      text: reply.text,
      toolCalls: reply.toolCalls,
      finishReason: reply.finishReason,
      usage: {
        inputTokens: estimateTokens(promptText(request)),
        outputTokens: estimateTokens(
          reply.text + reply.toolCalls.map((call) => JSON.stringify(call)).join(''),
        ),
      },
      provider: this.provider,
      modelId: this.modelId,
      latencyMs: Date.now() - startedAt,
      providerMetadata: reply.metadata,
    };
  }

  async *stream(
    request: LanguageModelRequest,
    options: LanguageModelCallOptions = {},
  ): AsyncGenerator<StreamPart> {
    const response = await this.generate(request, options);
    // Word by word (long tokens such as JSON in pieces), yielding to the event loop so an abort
    // between parts is seen.
    for (const delta of response.text.match(/\S{1,16}\s*|\s+/g) ?? []) {
      await Promise.resolve();
      this.#checkAborted(options.signal);
      yield { type: 'text-delta', delta };
    }
    for (const call of response.toolCalls) {
      yield {
        type: 'tool-call-delta',
        id: call.id,
        name: call.name,
        argumentsDelta: JSON.stringify(call.arguments),
      };
      yield { type: 'tool-call', ...call };
    }
    yield {
      type: 'finish',
      finishReason: response.finishReason,
      usage: response.usage,
      ...(response.providerMetadata ? { providerMetadata: response.providerMetadata } : {}),
    };
  }
}
