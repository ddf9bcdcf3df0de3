import type { LanguageModelRequest, ModelMessage, ToolChoice } from '../language-model.ts';
import { renderSystemPrompt } from '../prompt-context.ts';
import type { ToolNameCodec } from '../tool-names.ts';
import type {
  AnthropicContentBlockParam,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicTool,
  AnthropicToolChoice,
} from './anthropic-api.ts';

/** A Messages body plus the wire name of the tool that carries a structured reply, if any. */
export interface AnthropicPrompt {
  readonly body: AnthropicMessagesRequest;
  /** With a JSON response format: the forced tool whose input is the reply. */
  readonly responseToolName: string | undefined;
}

function blocksOf(message: ModelMessage, codec: ToolNameCodec): AnthropicContentBlockParam[] {
  switch (message.role) {
    case 'user':
      return message.content === '' ? [] : [{ type: 'text', text: message.content }];
    case 'assistant': {
      const blocks: AnthropicContentBlockParam[] = [];
      // The API rejects empty text blocks.
      if (message.content.trim() !== '') blocks.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls ?? []) {
        blocks.push({
          type: 'tool_use',
          id: call.id,
          name: codec.toWire(call.name),
          input: { ...call.arguments },
        });
      }
      return blocks;
    }
    case 'tool':
      return [
        {
          type: 'tool_result',
          tool_use_id: message.toolCallId,
          content: message.content,
          ...(message.isError ? { is_error: true } : {}),
        },
      ];
  }
}

/** Tool results travel as user turns, and consecutive turns of one role are merged into one. */
function convertMessages(messages: readonly ModelMessage[], codec: ToolNameCodec): AnthropicMessageParam[] {
  const converted: AnthropicMessageParam[] = [];
  for (const message of messages) {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = blocksOf(message, codec);
    if (blocks.length === 0) continue;
    const previous = converted.at(-1);
    if (previous && previous.role === role) previous.content.push(...blocks);
    else converted.push({ role, content: blocks });
  }
  return converted;
}

function convertToolChoice(choice: ToolChoice, codec: ToolNameCodec): AnthropicToolChoice {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  return { type: 'tool', name: codec.toWire(choice.name) };
}

/**
 * Builds the Messages body for a request. A JSON response format becomes one more tool, forced with
 * `tool_choice`, whose input schema is the requested schema: the model's tool input is the reply.
 */
export function convertToAnthropicMessagesRequest(
  request: LanguageModelRequest,
  modelId: string,
  codec: ToolNameCodec,
  defaultMaxTokens: number,
): AnthropicPrompt {
  const tools: AnthropicTool[] = (request.tools ?? []).map((tool) => ({
    name: codec.toWire(tool.name),
    description: tool.description,
    input_schema: { ...tool.inputSchema, type: 'object' },
  }));
  let toolChoice =
    tools.length > 0 && request.toolChoice ? convertToolChoice(request.toolChoice, codec) : undefined;
  let responseToolName: string | undefined;
  const format = request.responseFormat;
  if (format) {
    const taken = new Set(tools.map((tool) => tool.name));
    const base = format.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 55) || 'response';
    responseToolName = taken.has(base) ? `${base}_response` : base;
    tools.push({
      name: responseToolName,
      description:
        format.description ?? `Reply with the ${format.name} object. Its input is your whole answer.`,
      input_schema: { ...format.schema, type: 'object' },
    });
    toolChoice = { type: 'tool', name: responseToolName };
  }
  const system = renderSystemPrompt(request);
  return {
    responseToolName,
    body: {
      model: modelId,
      max_tokens: request.maxOutputTokens ?? defaultMaxTokens,
      messages: convertMessages(request.messages, codec),
      ...(system !== undefined ? { system } : {}),
      ...(tools.length > 0 ? { tools } : {}),
      ...(toolChoice ? { tool_choice: toolChoice } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    },
  };
}
