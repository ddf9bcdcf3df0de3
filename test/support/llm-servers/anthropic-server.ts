import { fileURLToPath } from 'node:url';
import {
  type FixtureServer,
  type RecordedRequest,
  type RouteResult,
  startFixtureServer,
} from './fixture-server.ts';

/**
 * A local server speaking Anthropic's Messages wire protocol from fixtures. It validates requests
 * the way the API does (auth, `anthropic-version`, `max_tokens`, alternating roles, non-empty text
 * blocks, tool names, every tool_use answered by a tool_result in the next turn) and routes like a
 * model would: a forced tool gets the structured reply, a turn carrying tool results the final
 * answer, a request with tools the tool call.
 */

const FIXTURES = fileURLToPath(new URL('./__fixtures__/anthropic/', import.meta.url));
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/** Options of {@link startAnthropicServer}. */
export interface AnthropicServerOptions {
  readonly apiKey: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

let requestCounter = 0;

function error(status: number, type: string, message: string, headers: Record<string, string>): RouteResult {
  return {
    status,
    body: { type: 'error', error: { type, message }, request_id: headers['request-id'] },
    headers,
  };
}

function blocksOf(message: Json): Json[] {
  if (typeof message.content === 'string') return [{ type: 'text', text: message.content }];
  return Array.isArray(message.content) ? message.content.filter(isObject) : [];
}

function validate(body: Json): string | undefined {
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    return 'max_tokens: Field required';
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return 'messages: at least one message is required';
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  for (const [index, tool] of tools.entries()) {
    if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) {
      return `tools.${index}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    }
    if (!isObject(tool.input_schema) || tool.input_schema.type !== 'object') {
      return `tools.${index}.custom.input_schema.type: Input should be 'object'`;
    }
  }
  const choice = body.tool_choice;
  if (isObject(choice) && choice.type === 'tool' && !tools.some((tool) => tool.name === choice.name)) {
    return `tool_choice.name: Tool '${String(choice.name)}' not found in provided tools`;
  }
  const messages = body.messages.filter(isObject);
  if (messages[0]?.role !== 'user') return 'messages: first message must use the "user" role';
  for (const [index, message] of messages.entries()) {
    const previous = messages[index - 1];
    if (previous && previous.role === message.role) {
      return `messages: roles must alternate between "user" and "assistant", but found multiple "${String(message.role)}" roles in a row`;
    }
    const blocks = blocksOf(message);
    for (const [blockIndex, block] of blocks.entries()) {
      if (block.type === 'text' && (typeof block.text !== 'string' || block.text.trim() === '')) {
        return `messages.${index}.content.${blockIndex}.text: text content blocks must be non-empty`;
      }
    }
    const expected = previous
      ? blocksOf(previous)
          .filter((block) => block.type === 'tool_use')
          .map((block) => block.id)
      : [];
    const answered = blocks.filter((block) => block.type === 'tool_result').map((block) => block.tool_use_id);
    for (const id of answered) {
      if (!expected.includes(id)) {
        return `messages.${index}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    const missing = expected.filter((id) => !answered.includes(id));
    if (missing.length > 0) {
      return `messages.${index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}

function route(request: RecordedRequest, options: AnthropicServerOptions): RouteResult {
  requestCounter += 1;
  const headers = {
    'request-id': `req_011CU${requestCounter.toString(36).padStart(19, '0')}`,
    'anthropic-organization-id': '3f1b7c2e-9a4d-4e8b-b6c1-2d5f8a9e0c3b',
  };
  const key = request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer /, '');
  if (key !== options.apiKey) return error(401, 'authentication_error', 'invalid x-api-key', headers);
  if (request.method !== 'POST' || request.path !== '/v1/messages') {
    return error(404, 'not_found_error', `Not Found: ${request.method} ${request.path}`, headers);
  }
  if (typeof request.headers['anthropic-version'] !== 'string') {
    return error(400, 'invalid_request_error', 'anthropic-version: header is required', headers);
  }
  if (!isObject(request.body))
    return error(400, 'invalid_request_error', 'Request body is not valid JSON', headers);
  const body = request.body;
  const problem = validate(body);
  if (problem) return error(400, 'invalid_request_error', problem, headers);
  const stream = body.stream === true;
  const messages = (body.messages as unknown[]).filter(isObject);
  const last = messages.at(-1);
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const choice = isObject(body.tool_choice) ? body.tool_choice : undefined;
  if (choice?.type === 'tool') return { fixture: 'message-structured', stream, headers };
  if (last && blocksOf(last).some((block) => block.type === 'tool_result')) {
    return { fixture: 'message-final-answer', stream, headers };
  }
  if (tools.length > 0 && choice?.type !== 'none') return { fixture: 'message-tool-use', stream, headers };
  return { fixture: 'message-final-answer', stream, headers };
}

/** Starts the server; its base URL (without `/v1`) is `server.baseUrl`. */
export function startAnthropicServer(options: AnthropicServerOptions): Promise<FixtureServer> {
  return startFixtureServer({ fixturesDirectory: FIXTURES, route: (request) => route(request, options) });
}
