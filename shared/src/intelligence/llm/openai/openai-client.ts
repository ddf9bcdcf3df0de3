import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { TransportFailure } from '../transport-failure.ts';
import type { OpenAIChatRequest, OpenAIEmbeddingRequest } from './openai-api.ts';

/*
 * The only file that imports the `openai` SDK. It narrows the SDK to the three calls the adapter
 * makes and translates the SDK's errors into `TransportFailure`, so the rest of the adapter (and
 * the OpenAI-compatible provider) never sees a vendor type.
 */

/** How to reach an OpenAI (or OpenAI-compatible) endpoint. */
export interface OpenAIClientSettings {
  readonly baseURL: string;
  /** Sent as `Authorization: Bearer …`; without one no Authorization header is sent. */
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** Per-request options. */
export interface OpenAIRequestOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** The SDK, narrowed to what the adapter uses; bodies go out as given, answers come back unvalidated. */
export interface OpenAIClient {
  createChatCompletion(body: OpenAIChatRequest, options: OpenAIRequestOptions): Promise<unknown>;
  streamChatCompletion(
    body: OpenAIChatRequest,
    options: OpenAIRequestOptions & { readonly includeUsage: boolean },
  ): Promise<AsyncIterable<unknown>>;
  createEmbeddings(body: OpenAIEmbeddingRequest, options: OpenAIRequestOptions): Promise<unknown>;
}

function toTransportFailure(error: unknown): unknown {
  if (error instanceof APIUserAbortError) {
    return new TransportFailure({ reason: 'aborted', message: error.message, cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new TransportFailure({ reason: 'timeout', message: error.message, cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new TransportFailure({ reason: 'connection', message: error.message, cause: error });
  }
  if (error instanceof APIError) {
    // The SDK keeps only the inner `error` object; rebuild the wire body around it.
    return new TransportFailure({
      reason: 'http',
      message: error.message,
      status: error.status,
      headers: error.headers,
      body: error.error === undefined ? undefined : { error: error.error },
      cause: error,
    });
  }
  if (error instanceof SyntaxError) {
    return new TransportFailure({ reason: 'malformed', message: error.message, cause: error });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new TransportFailure({ reason: 'aborted', message: error.message, cause: error });
  }
  return error;
}

async function* translateErrors(stream: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  try {
    yield* stream;
  } catch (error) {
    throw toTransportFailure(error);
  }
}

/** Builds the narrowed client; the SDK's own retries are off (the core retries). */
export function createOpenAIClient(settings: OpenAIClientSettings): OpenAIClient {
  const client = new OpenAI({
    // The SDK insists on a key; for keyless local servers the header is removed below.
    apiKey: settings.apiKey ?? 'no-key',
    baseURL: settings.baseURL,
    timeout: settings.timeoutMs,
    maxRetries: 0,
    defaultHeaders: {
      ...settings.headers,
      ...(settings.apiKey === undefined ? { Authorization: null } : {}),
    },
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
  const requestOptions = (options: OpenAIRequestOptions) => ({
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });

  return {
    async createChatCompletion(body, options) {
      try {
        return await client.chat.completions.create({ ...body, stream: false }, requestOptions(options));
      } catch (error) {
        throw toTransportFailure(error);
      }
    },
    async streamChatCompletion(body, options) {
      try {
        const stream = await client.chat.completions.create(
          {
            ...body,
            stream: true,
            ...(options.includeUsage ? { stream_options: { include_usage: true } } : {}),
          },
          requestOptions(options),
        );
        return translateErrors(stream);
      } catch (error) {
        throw toTransportFailure(error);
      }
    },
    async createEmbeddings(body, options) {
      try {
        return await client.embeddings.create(body, requestOptions(options));
      } catch (error) {
        throw toTransportFailure(error);
      }
    },
  };
}
