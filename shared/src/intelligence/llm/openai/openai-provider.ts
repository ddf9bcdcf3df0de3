import { ModelConfigError } from '../errors.ts';
import { createOpenAIClient } from './openai-client.ts';
import { OpenAIEmbeddingModel } from './openai-embedding-model.ts';
import { OpenAILanguageModel, type OpenAIModelCapabilities } from './openai-language-model.ts';

/** The default request timeout of the hosted providers (the core usually sets a tighter one per call). */
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;

const KNOWN_EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** Settings shared by OpenAI and OpenAI-compatible endpoints. */
export interface OpenAIWireProviderSettings {
  /** Provider name reported on responses and usage records (`openai`, `ollama`, `vllm`, …). */
  readonly name: string;
  readonly baseURL: string;
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Only when the runtime's global fetch will not do (e.g. a proxy agent). */
  readonly fetch?: typeof globalThis.fetch;
  readonly capabilities: OpenAIModelCapabilities;
}

/** Options of an embedding model. */
export interface OpenAIEmbeddingOptions {
  /** Required for models this adapter does not know; for text-embedding-3 also shortens vectors. */
  readonly dimensions?: number;
}

/** Builds models of one Chat Completions endpoint. */
export interface OpenAIProvider {
  readonly name: string;
  languageModel(modelId: string): OpenAILanguageModel;
  embeddingModel(modelId: string, options?: OpenAIEmbeddingOptions): OpenAIEmbeddingModel;
}

/**
 * The provider behind both `createOpenAI` and `createOpenAICompatible`: one SDK client per
 * provider, shared by its models.
 */
export function createOpenAIWireProvider(settings: OpenAIWireProviderSettings): OpenAIProvider {
  const client = createOpenAIClient({
    baseURL: settings.baseURL,
    timeoutMs: settings.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS,
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.headers ? { headers: settings.headers } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
  return {
    name: settings.name,
    languageModel: (modelId) =>
      new OpenAILanguageModel({
        provider: settings.name,
        modelId,
        client,
        capabilities: settings.capabilities,
      }),
    embeddingModel: (modelId, options = {}) => {
      const known = KNOWN_EMBEDDING_DIMENSIONS[modelId];
      const dimensions = options.dimensions ?? known;
      if (dimensions === undefined) {
        throw new ModelConfigError(
          `Embedding model ${modelId} of ${settings.name} needs its "dimensions" configured`,
        );
      }
      return new OpenAIEmbeddingModel({
        provider: settings.name,
        modelId,
        client,
        dimensions,
        requestDimensions: options.dimensions !== undefined && modelId.startsWith('text-embedding-3'),
      });
    },
  };
}

/** Settings of the OpenAI provider. */
export interface OpenAIProviderSettings {
  readonly apiKey: string;
  /** Defaults to https://api.openai.com/v1 (set it for a proxy or a regional endpoint). */
  readonly baseURL?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * OpenAI's hosted models: strict structured outputs (`json_schema`), `max_completion_tokens`,
 * usage at the end of streams.
 *
 * @example
 * const openai = createOpenAI({ apiKey: env.OPENAI_API_KEY });
 * const model = openai.languageModel('gpt-4o-mini');
 */
export function createOpenAI(settings: OpenAIProviderSettings): OpenAIProvider {
  if (settings.apiKey.trim() === '') throw new ModelConfigError('The openai provider needs an API key');
  return createOpenAIWireProvider({
    name: 'openai',
    baseURL: settings.baseURL ?? 'https://api.openai.com/v1',
    apiKey: settings.apiKey,
    capabilities: {
      supportsStructuredOutputs: true,
      maxTokensField: 'max_completion_tokens',
      includeStreamUsage: true,
    },
    ...(settings.headers ? { headers: settings.headers } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
}
