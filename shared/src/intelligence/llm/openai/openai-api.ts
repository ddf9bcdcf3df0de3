import { z } from 'zod';

/*
 * The Chat Completions and Embeddings wire formats, as this adapter speaks them. Requests are typed
 * here (and checked against the SDK's own types in openai-client.ts); responses are validated with
 * these schemas, because OpenAI-compatible servers (Ollama, vLLM, gateways) differ in the details.
 */

/** A prior tool call in an assistant message. */
export interface OpenAIToolCallParam {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a chat completion request. */
export type OpenAIChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCallParam[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A function tool declaration. */
export interface OpenAIFunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };
}

export type OpenAIToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { type: 'function'; function: { name: string } };

export type OpenAIResponseFormat =
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema: Record<string, unknown>; strict?: boolean };
    }
  | { type: 'json_object' };

/** The body of `POST /chat/completions` (without `stream`, which the client sets). */
export interface OpenAIChatRequest {
  model: string;
  messages: OpenAIChatMessage[];
  tools?: OpenAIFunctionTool[];
  tool_choice?: OpenAIToolChoice;
  response_format?: OpenAIResponseFormat;
  temperature?: number;
  max_completion_tokens?: number;
  max_tokens?: number;
}

/** The body of `POST /embeddings`. */
export interface OpenAIEmbeddingRequest {
  model: string;
  input: string[];
  encoding_format: 'float';
  dimensions?: number;
}

const usageSchema = z.object({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
});

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function').nullish(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

/** A non-streamed chat completion. */
export const openaiChatResponseSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  system_fingerprint: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(toolCallSchema).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});
export type OpenAIChatResponse = z.infer<typeof openaiChatResponseSchema>;

/** One `chat.completion.chunk` of a stream (the usage-only final chunk has no choices). */
export const openaiChatChunkSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z.array(
    z.object({
      delta: z
        .object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                index: z.number(),
                id: z.string().nullish(),
                function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
});
export type OpenAIChatChunk = z.infer<typeof openaiChatChunkSchema>;

/** The answer of `POST /embeddings` with `encoding_format: 'float'`. */
export const openaiEmbeddingResponseSchema = z.object({
  data: z.array(z.object({ index: z.number(), embedding: z.array(z.number()) })),
  model: z.string().nullish(),
  usage: z.object({ prompt_tokens: z.number().nullish() }).nullish(),
});

/** The error body: `{ error: { message, type, param, code } }`. */
export const openaiErrorBodySchema = z.object({
  error: z.object({
    message: z.string().nullish(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});
