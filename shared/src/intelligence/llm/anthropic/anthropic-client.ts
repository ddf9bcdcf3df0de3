import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { TransportFailure } from '../transport-failure.ts';
import type { AnthropicMessagesRequest } from './anthropic-api.ts';

/*
 * The only file that imports `@anthropic-ai/sdk`. It narrows the SDK to the two calls the adapter
 * makes and translates the SDK's errors into `TransportFailure`.
 */

/** How to reach the Messages API. */
export interface AnthropicClientSettings {
  readonly apiKey: string;
  /** Without the `/v1` path, e.g. https://api.anthropic.com. */
  readonly baseURL: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** Per-request options. */
export interface AnthropicRequestOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** The SDK, narrowed to what the adapter uses; answers come back unvalidated. */
export interface AnthropicClient {
  createMessage(body: AnthropicMessagesRequest, options: AnthropicRequestOptions): Promise<unknown>;
  streamMessage(
    body: AnthropicMessagesRequest,
    options: AnthropicRequestOptions,
  ): Promise<AsyncIterable<unknown>>;
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
    // The SDK keeps the whole error body (`{ type: 'error', error: {...} }`).
    return new TransportFailure({
      reason: 'http',
      message: error.message,
      status: error.status,
      headers: error.headers,
      body: error.error,
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
export function createAnthropicClient(settings: AnthropicClientSettings): AnthropicClient {
  const client = new Anthropic({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL,
    timeout: settings.timeoutMs,
    maxRetries: 0,
    ...(settings.headers ? { defaultHeaders: { ...settings.headers } } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
  const requestOptions = (options: AnthropicRequestOptions) => ({
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });

  return {
    async createMessage(body, options) {
      try {
        return await client.messages.create({ ...body, stream: false }, requestOptions(options));
      } catch (error) {
        throw toTransportFailure(error);
      }
    },
    async streamMessage(body, options) {
      try {
        const stream = await client.messages.create({ ...body, stream: true }, requestOptions(options));
        return translateErrors(stream);
      } catch (error) {
        throw toTransportFailure(error);
      }
    },
  };
}
