/**
 * The language-model port (specification v1): the small, provider-neutral contract every adapter
 * (OpenAI, Anthropic, OpenAI-compatible, offline) implements. Only the core (`generate.ts`,
 * `stream.ts`) calls it; flows and agents go through the core, so retries, fallbacks, hooks and
 * usage capture apply to every call.
 */

/** A JSON value as it travels on the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON schema object (draft 2020-12 subset as produced by `z.toJSONSchema`). */
export type JsonSchema = { readonly [key: string]: unknown };

/** A tool call the model asked for; `arguments` is the parsed JSON object. */
export interface ToolCall {
  readonly id: string;
  /** The tool's name as the caller declared it (e.g. `orders.lookup`), never the wire-encoded name. */
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** A user turn. */
export interface UserMessage {
  readonly role: 'user';
  readonly content: string;
}

/** An assistant turn: text, tool calls, or both. */
export interface AssistantMessage {
  readonly role: 'assistant';
  readonly content: string;
  readonly toolCalls?: readonly ToolCall[];
}

/** The result of running a tool, answering the assistant's tool call with the same id. */
export interface ToolResultMessage {
  readonly role: 'tool';
  readonly toolCallId: string;
  /** The tool's name; optional on the wire for OpenAI, used by the offline model to phrase answers. */
  readonly toolName?: string;
  /** The result as text (JSON results are passed as their JSON text). */
  readonly content: string;
  readonly isError?: boolean;
}

/** One turn of a conversation. */
export type ModelMessage = UserMessage | AssistantMessage | ToolResultMessage;

/** A tool the model may call. Names may contain dots (`crm.find_contact`); adapters encode them. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON schema of the tool's input object. */
  readonly inputSchema: JsonSchema;
}

/** Whether and which tool the model must call. */
export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/** Ask for a JSON document matching `schema` (OpenAI json_schema, Anthropic forced tool, …). */
export interface JsonResponseFormat {
  readonly type: 'json';
  /** A short identifier for the schema (letters, digits, `_`, `-`). */
  readonly name: string;
  readonly description?: string;
  readonly schema: JsonSchema;
}

/**
 * A retrieved passage the model should ground its answer in (RAG). Adapters for hosted models
 * render the passages into the system prompt (see `renderSystemPrompt`); the offline model reads
 * them directly and cites their ids.
 */
export interface ContextDocument {
  readonly id: string;
  readonly text: string;
  /** Where the passage comes from (document title, URL, …). */
  readonly source?: string;
}

/** Who a model call is made for; carried into hooks and usage records, never sent to the vendor. */
export interface ModelCallMetadata {
  readonly tenantId?: string;
  readonly agentId?: string;
  readonly conversationId?: string;
  readonly [key: string]: string | undefined;
}

/** Everything a model call needs, independent of the provider. */
export interface LanguageModelRequest {
  readonly system?: string;
  readonly messages: readonly ModelMessage[];
  readonly context?: readonly ContextDocument[];
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  readonly responseFormat?: JsonResponseFormat;
  readonly temperature?: number;
  readonly maxOutputTokens?: number;
  readonly metadata?: ModelCallMetadata;
}

/** Why the model stopped. */
export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';

/** Token usage of one call. */
export interface LanguageModelUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** The complete answer of one call. */
export interface LanguageModelResponse {
  /** The text; with a JSON response format, the JSON document. */
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  readonly usage: LanguageModelUsage;
  readonly provider: string;
  readonly modelId: string;
  readonly latencyMs: number;
  /** Provider specifics, e.g. `{ offline: true, citations: [...] }` or the vendor's response id. */
  readonly providerMetadata?: Readonly<Record<string, unknown>>;
}

/** One piece of a streamed answer. A stream ends with exactly one `finish` part. */
export type StreamPart =
  | { readonly type: 'text-delta'; readonly delta: string }
  | {
      readonly type: 'tool-call-delta';
      readonly id: string;
      readonly name: string;
      readonly argumentsDelta: string;
    }
  | ({ readonly type: 'tool-call' } & ToolCall)
  | {
      readonly type: 'finish';
      readonly finishReason: FinishReason;
      readonly usage: LanguageModelUsage;
      readonly providerMetadata?: Readonly<Record<string, unknown>>;
    };

/** Per-call options. */
export interface LanguageModelCallOptions {
  /** Aborts the call; an aborted call rejects with a `ModelCallError` of kind `aborted`. */
  readonly signal?: AbortSignal;
  /** Upper bound for this call (the core also enforces it with its own signal). */
  readonly timeoutMs?: number;
}

/**
 * A language model behind the port. Implementations throw `ModelCallError` for every failure and
 * never retry (the core does).
 */
export interface LanguageModel {
  readonly specificationVersion: 'v1';
  /** Provider name as configured (`openai`, `anthropic`, `ollama`, `offline`, …). */
  readonly provider: string;
  readonly modelId: string;
  generate(request: LanguageModelRequest, options?: LanguageModelCallOptions): Promise<LanguageModelResponse>;
  stream(request: LanguageModelRequest, options?: LanguageModelCallOptions): AsyncIterable<StreamPart>;
}
