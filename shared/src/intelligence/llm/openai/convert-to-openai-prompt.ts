import { isStrictJsonSchema, jsonInstruction } from '../json-schema.ts';
import type { LanguageModelRequest, ModelMessage, ToolChoice } from '../language-model.ts';
import { renderSystemPrompt } from '../prompt-context.ts';
import type { ToolNameCodec } from '../tool-names.ts';
import type {
  OpenAIChatMessage,
  OpenAIChatRequest,
  OpenAIFunctionTool,
  OpenAIResponseFormat,
  OpenAIToolChoice,
} from './openai-api.ts';

/** What the target endpoint supports; OpenAI itself supports everything. */
export interface OpenAIWireCapabilities {
  /** `json_schema` response format (strict structured outputs); otherwise `json_object` + instructions. */
  readonly supportsStructuredOutputs: boolean;
  /** Which field carries the output-token limit (`max_tokens` for most compatible servers). */
  readonly maxTokensField: 'max_completion_tokens' | 'max_tokens';
}

function convertMessage(message: ModelMessage, codec: ToolNameCodec): OpenAIChatMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant': {
      const toolCalls = message.toolCalls ?? [];
      if (toolCalls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        tool_calls: toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: codec.toWire(call.name), arguments: JSON.stringify(call.arguments) },
        })),
      };
    }
    case 'tool':
      return {
        role: 'tool',
        tool_call_id: message.toolCallId,
        content: message.isError ? `Tool error: ${message.content}` : message.content,
      };
  }
}

function convertToolChoice(choice: ToolChoice, codec: ToolNameCodec): OpenAIToolChoice {
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: codec.toWire(choice.name) } };
}

/**
 * Builds the Chat Completions body for a request: the system prompt (with rendered context) as the
 * first message, tool names encoded for the wire, and the response format the endpoint supports.
 */
export function convertToOpenAIChatRequest(
  request: LanguageModelRequest,
  modelId: string,
  codec: ToolNameCodec,
  capabilities: OpenAIWireCapabilities,
): OpenAIChatRequest {
  const format = request.responseFormat;
  const systemParts = [renderSystemPrompt(request)];
  let responseFormat: OpenAIResponseFormat | undefined;
  if (format && capabilities.supportsStructuredOutputs) {
    responseFormat = {
      type: 'json_schema',
      json_schema: {
        name: format.name,
        ...(format.description ? { description: format.description } : {}),
        schema: { ...format.schema },
        strict: isStrictJsonSchema(format.schema),
      },
    };
  } else if (format) {
    responseFormat = { type: 'json_object' };
    systemParts.push(jsonInstruction(format));
  }
  const system = systemParts.filter((part): part is string => part !== undefined).join('\n\n');

  const messages: OpenAIChatMessage[] = [];
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const message of request.messages) messages.push(convertMessage(message, codec));

  const tools: OpenAIFunctionTool[] = (request.tools ?? []).map((tool) => ({
    type: 'function',
    function: {
      name: codec.toWire(tool.name),
      description: tool.description,
      parameters: { ...tool.inputSchema },
    },
  }));

  return {
    model: modelId,
    messages,
    ...(tools.length > 0 ? { tools } : {}),
    ...(tools.length > 0 && request.toolChoice
      ? { tool_choice: convertToolChoice(request.toolChoice, codec) }
      : {}),
    ...(responseFormat ? { response_format: responseFormat } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxOutputTokens !== undefined
      ? { [capabilities.maxTokensField]: request.maxOutputTokens }
      : {}),
  };
}
