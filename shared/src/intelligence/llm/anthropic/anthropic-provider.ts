import { ModelConfigError } from '../errors.ts';
import { createAnthropicClient } from './anthropic-client.ts';
import { AnthropicLanguageModel } from './anthropic-language-model.ts';

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_TOKENS = 4096;

/** Settings of the Anthropic provider. */
export interface AnthropicProviderSettings {
  readonly apiKey: string;
  /** Defaults to https://api.anthropic.com (without `/v1`). */
  readonly baseURL?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** `max_tokens` when a request sets no `maxOutputTokens` (the API requires one); 4096 by default. */
  readonly defaultMaxTokens?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** Builds Claude models sharing one client. */
export interface AnthropicProvider {
  readonly name: 'anthropic';
  languageModel(modelId: string): AnthropicLanguageModel;
}

/**
 * Claude through the Messages API; structured outputs are a forced tool call.
 *
 * @example
 * const anthropic = createAnthropic({ apiKey: env.ANTHROPIC_API_KEY });
 * const model = anthropic.languageModel('claude-sonnet-4-5');
 */
export function createAnthropic(settings: AnthropicProviderSettings): AnthropicProvider {
  if (settings.apiKey.trim() === '') throw new ModelConfigError('The anthropic provider needs an API key');
  const client = createAnthropicClient({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL ?? 'https://api.anthropic.com',
    timeoutMs: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(settings.headers ? { headers: settings.headers } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
  const defaultMaxTokens = settings.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  return {
    name: 'anthropic',
    languageModel: (modelId) =>
      new AnthropicLanguageModel({ provider: 'anthropic', modelId, client, defaultMaxTokens }),
  };
}
