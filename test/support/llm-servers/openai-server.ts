import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type FixtureServer,
  type RecordedRequest,
  type RouteResult,
  startFixtureServer,
} from './fixture-server.ts';

/**
 * A local server speaking OpenAI's Chat Completions and Embeddings wire protocol from fixtures.
 * It validates requests the way the API does (auth, tool names, tool-call pairing, json_schema
 * strictness, the "json" word rule of json_object) and routes like a model would: a structured
 * request gets the structured reply, a conversation ending in a tool result the final answer, a
 * request with tools the tool call. Also serves OpenAI-compatible endpoints (no key required).
 */

const FIXTURES = fileURLToPath(new URL('./__fixtures__/openai/', import.meta.url));
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Options of {@link startOpenAIServer}. */
export interface OpenAIServerOptions {
  /** The key clients must send as a bearer token; without one, any (or no) Authorization passes. */
  readonly apiKey?: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function invalid(message: string, param: string | null = null, status = 400): RouteResult {
  return { status, body: { error: { message, type: 'invalid_request_error', param, code: null } } };
}

function strictSchemaProblem(schema: unknown, path: string): string | undefined {
  if (!isObject(schema)) return undefined;
  if (schema.type === 'object') {
    if (schema.additionalProperties !== false) {
      return `In context=(${path}), 'additionalProperties' is required to be supplied and to be false.`;
    }
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required : [];
    for (const [key, property] of Object.entries(properties)) {
      if (!required.includes(key)) {
        return `In context=(${path}), 'required' is required to be supplied and to be an array including every key in properties. Missing '${key}'.`;
      }
      const problem = strictSchemaProblem(property, `${path}, 'properties', '${key}'`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function validateChat(body: Json): RouteResult | undefined {
  if (typeof body.model !== 'string' || body.model === '')
    return invalid('you must provide a model parameter', 'model');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages');
  }
  if (body.max_tokens !== undefined && body.max_completion_tokens !== undefined) {
    return invalid(
      "Invalid 'max_tokens': use either 'max_tokens' or 'max_completion_tokens', not both.",
      'max_tokens',
    );
  }
  if (body.stream_options !== undefined && body.stream !== true) {
    return invalid('The stream_options parameter is only allowed when stream is enabled.', 'stream_options');
  }
  const tools = Array.isArray(body.tools) ? body.tools : [];
  for (const [index, tool] of tools.entries()) {
    const name = isObject(tool) && isObject(tool.function) ? tool.function.name : undefined;
    if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
      return invalid(
        `Invalid 'tools[${index}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${index}].function.name`,
      );
    }
  }
  const callIds = new Set<string>();
  for (const [index, message] of body.messages.entries()) {
    if (
      !isObject(message) ||
      !['system', 'developer', 'user', 'assistant', 'tool'].includes(String(message.role))
    ) {
      return invalid(`Invalid value for 'messages[${index}].role'.`, `messages[${index}].role`);
    }
    if (message.role === 'assistant' && Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) {
        if (!isObject(call) || !isObject(call.function) || typeof call.function.arguments !== 'string') {
          return invalid(`Invalid 'messages[${index}].tool_calls': arguments must be a string.`);
        }
        if (typeof call.id === 'string') callIds.add(call.id);
      }
    }
    if (
      message.role === 'tool' &&
      (typeof message.tool_call_id !== 'string' || !callIds.has(message.tool_call_id))
    ) {
      return invalid(
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
        `messages.[${index}].role`,
      );
    }
  }
  const format = body.response_format;
  if (isObject(format) && format.type === 'json_schema') {
    const spec = format.json_schema;
    if (
      !isObject(spec) ||
      typeof spec.name !== 'string' ||
      !TOOL_NAME.test(spec.name) ||
      !isObject(spec.schema)
    ) {
      return invalid("Invalid 'response_format.json_schema'.", 'response_format');
    }
    const problem = spec.strict === true ? strictSchemaProblem(spec.schema, 'root') : undefined;
    if (problem)
      return invalid(`Invalid schema for response_format '${spec.name}': ${problem}`, 'response_format');
  }
  if (isObject(format) && format.type === 'json_object') {
    const mentionsJson = body.messages.some(
      (message) => isObject(message) && typeof message.content === 'string' && /json/i.test(message.content),
    );
    if (!mentionsJson) {
      return invalid(
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        'messages',
      );
    }
  }
  return undefined;
}

let requestCounter = 0;

function route(request: RecordedRequest, options: OpenAIServerOptions): RouteResult {
  requestCounter += 1;
  const headers = {
    'x-request-id': `req_${requestCounter.toString(16).padStart(32, '0')}`,
    'openai-processing-ms': '212',
    'openai-version': '2020-10-01',
  };
  if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
    return { status: 401, body: JSON.parse(readFileSync(`${FIXTURES}error-401.json`, 'utf8')), headers };
  }
  if (request.method !== 'POST') return invalid(`Invalid URL (${request.method} ${request.path})`, null, 404);
  if (!isObject(request.body)) {
    return invalid('We could not parse the JSON body of your request.');
  }
  const body = request.body;
  if (request.path === '/v1/embeddings') {
    const input = body.input;
    if (!Array.isArray(input) || input.length !== 2 || !input.every((item) => typeof item === 'string')) {
      return invalid('The embeddings fixture answers exactly two input strings.', 'input');
    }
    if (body.encoding_format !== 'float')
      return invalid('The embeddings fixture is float-encoded.', 'encoding_format');
    return { fixture: 'embeddings', stream: false, headers };
  }
  if (request.path !== '/v1/chat/completions') {
    return invalid(`Invalid URL (${request.method} ${request.path})`, null, 404);
  }
  const problem = validateChat(body);
  if (problem) return { ...problem, headers };
  const messages = body.messages as Json[];
  const stream = body.stream === true;
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (body.response_format !== undefined) return { fixture: 'chat-structured', stream, headers };
  if (messages.at(-1)?.role === 'tool') return { fixture: 'chat-final-answer', stream, headers };
  if (tools.length > 0 && body.tool_choice !== 'none') return { fixture: 'chat-tool-call', stream, headers };
  return { fixture: 'chat-final-answer', stream, headers };
}

/** Starts the server; its API base URL is `${server.baseUrl}/v1`. */
export function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<FixtureServer> {
  return startFixtureServer({ fixturesDirectory: FIXTURES, route: (request) => route(request, options) });
}
