import { createOpenAIWireProvider, type OpenAIProvider } from '../openai/index.ts';

/*
 * An OpenAI-compatible endpoint is the OpenAI adapter with another name, base URL and capability
 * set; the wire conversion, stream handling and error mapping are the OpenAI adapter's own.
 */

/** Settings of an OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, LiteLLM, Azure-style gateways). */
export interface OpenAICompatibleProviderSettings {
  /** Reported as the provider on responses and usage records; defaults to `openai-compatible`. */
  readonly name?: string;
  /** Including the version path, e.g. `http://localhost:11434/v1`. */
  readonly baseURL: string;
  /** Optional: local servers usually take none, and then no Authorization header is sent. */
  readonly apiKey?: string;
  /** Extra headers, e.g. `api-key` for Azure-style gateways. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Whether the server honours `response_format: json_schema`. Defaults to false: structured
   * requests then use `json_object` plus the schema in the system prompt, which every server takes.
   */
  readonly supportsStructuredOutputs?: boolean;
  /** Whether the server sends a usage chunk when asked (`stream_options`); defaults to true. */
  readonly includeStreamUsage?: boolean;
}

/**
 * Models of an OpenAI-compatible endpoint.
 *
 * @example
 * const ollama = createOpenAICompatible({ name: 'ollama', baseURL: 'http://localhost:11434/v1' });
 * const model = ollama.languageModel('llama3.1:8b');
 */
export function createOpenAICompatible(settings: OpenAICompatibleProviderSettings): OpenAIProvider {
  return createOpenAIWireProvider({
    name: settings.name ?? 'openai-compatible',
    baseURL: settings.baseURL,
    capabilities: {
      supportsStructuredOutputs: settings.supportsStructuredOutputs ?? false,
      maxTokensField: 'max_tokens',
      includeStreamUsage: settings.includeStreamUsage ?? true,
    },
    ...(settings.apiKey !== undefined && settings.apiKey !== '' ? { apiKey: settings.apiKey } : {}),
    ...(settings.headers ? { headers: settings.headers } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
}
