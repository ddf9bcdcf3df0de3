import { z } from 'zod';
import { type AnthropicProvider, createAnthropic } from './anthropic/index.ts';
import type { EmbeddingModel } from './embedding-model.ts';
import { ModelConfigError } from './errors.ts';
import type { LanguageModel } from './language-model.ts';
import { createOffline } from './offline/index.ts';
import { createOpenAI, type OpenAIProvider } from './openai/index.ts';
import { createOpenAICompatible } from './openai-compatible/index.ts';

/** The providers an agent's configuration can name. */
export const MODEL_PROVIDERS = ['openai', 'anthropic', 'openai-compatible', 'offline'] as const;
export type ModelProviderName = (typeof MODEL_PROVIDERS)[number];

const headersSchema = z.record(z.string(), z.string());
const hostedFields = {
  model: z.string().min(1),
  baseUrl: z.url().optional(),
  apiKey: z.string().min(1).optional(),
  headers: headersSchema.optional(),
  timeoutMs: z.number().int().positive().optional(),
};

/**
 * A model as an agent's configuration names it. Changing an agent's provider changes only this
 * object. Keys may be left out and come from the registry (the deployment's secrets).
 */
export const modelProviderConfigSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('openai'), ...hostedFields }),
  z.object({ provider: z.literal('anthropic'), ...hostedFields }),
  z.object({
    provider: z.literal('openai-compatible'),
    ...hostedFields,
    baseUrl: z.url(),
    /** Reported as the provider on responses and usage records (`ollama`, `vllm`, …). */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/i)
      .optional(),
    supportsStructuredOutputs: z.boolean().optional(),
  }),
  z.object({ provider: z.literal('offline'), model: z.string().min(1).default('offline') }),
]);
export type ModelProviderConfig = z.input<typeof modelProviderConfigSchema>;

/** An embedding model as configuration names it (Anthropic has no embeddings API). */
export const embeddingProviderConfigSchema = z.discriminatedUnion('provider', [
  z.object({
    provider: z.literal('openai'),
    ...hostedFields,
    dimensions: z.number().int().positive().optional(),
  }),
  z.object({
    provider: z.literal('openai-compatible'),
    ...hostedFields,
    baseUrl: z.url(),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/i)
      .optional(),
    dimensions: z.number().int().positive(),
  }),
  z.object({
    provider: z.literal('offline'),
    model: z.string().min(1).optional(),
    dimensions: z.number().int().positive().optional(),
  }),
]);
export type EmbeddingProviderConfig = z.input<typeof embeddingProviderConfigSchema>;

/** Deployment-wide settings of the registry. */
export interface ModelRegistryConfig {
  /** Keys used when a model configuration carries none. */
  readonly apiKeys?: { readonly openai?: string; readonly anthropic?: string };
  /** Request timeout of hosted providers unless a configuration sets its own. */
  readonly timeoutMs?: number;
  /** Only when the runtime's global fetch will not do. */
  readonly fetch?: typeof globalThis.fetch;
}

/** Builds models from configuration objects. */
export interface ModelRegistry {
  /** Validates the configuration and returns its model; throws `ModelConfigError`. */
  languageModel(config: unknown): LanguageModel;
  /** The models of a fallback chain, in order. */
  languageModels(configs: readonly unknown[]): LanguageModel[];
  embeddingModel(config: unknown): EmbeddingModel;
}

function parseConfig<T>(schema: z.ZodType<T>, config: unknown, allowed: readonly string[], what: string): T {
  const provider =
    typeof config === 'object' && config !== null && 'provider' in config ? config.provider : undefined;
  if (typeof provider !== 'string' || !allowed.includes(provider)) {
    throw new ModelConfigError(
      `Unknown ${what} provider ${JSON.stringify(provider ?? null)}; expected one of ${allowed.join(', ')}`,
      { provider: provider ?? null, expected: allowed },
    );
  }
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    throw new ModelConfigError(
      `Invalid ${provider} ${what} configuration: ${z.prettifyError(parsed.error)}`,
      {
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.map(String),
          message: issue.message,
        })),
      },
    );
  }
  return parsed.data;
}

/**
 * The registry the composition root builds once; agents' configurations select their models
 * through it. Providers (and their HTTP clients) are shared between models of the same endpoint.
 *
 * @example
 * const registry = createModelRegistry({ apiKeys: { openai: env.OPENAI_API_KEY } });
 * const model = registry.languageModel({ provider: 'openai', model: 'gpt-4o-mini' });
 * const local = registry.languageModel({ provider: 'openai-compatible', name: 'ollama', model: 'llama3.1', baseUrl: 'http://localhost:11434/v1' });
 */
export function createModelRegistry(config: ModelRegistryConfig = {}): ModelRegistry {
  const wireProviders = new Map<string, OpenAIProvider>();
  const anthropicProviders = new Map<string, AnthropicProvider>();
  const offline = createOffline();
  const shared = { ...(config.fetch ? { fetch: config.fetch } : {}) };

  const keyFor = (provider: 'openai' | 'anthropic', apiKey: string | undefined): string => {
    const key = apiKey ?? config.apiKeys?.[provider];
    if (key === undefined || key.trim() === '') {
      throw new ModelConfigError(
        `The ${provider} provider needs an API key: set apiKey in the model configuration or apiKeys.${provider} on the registry`,
        { provider },
      );
    }
    return key;
  };
  const cached = <T>(providers: Map<string, T>, key: string, build: () => T): T => {
    const existing = providers.get(key);
    if (existing) return existing;
    const created = build();
    providers.set(key, created);
    return created;
  };

  type Hosted = { baseUrl?: string; apiKey?: string; headers?: Record<string, string>; timeoutMs?: number };
  const common = (parsed: Hosted) => ({
    ...shared,
    ...(parsed.headers ? { headers: parsed.headers } : {}),
    ...((parsed.timeoutMs ?? config.timeoutMs) !== undefined
      ? { timeoutMs: parsed.timeoutMs ?? config.timeoutMs }
      : {}),
  });
  const openai = (parsed: Hosted): OpenAIProvider => {
    const apiKey = keyFor('openai', parsed.apiKey);
    return cached(
      wireProviders,
      JSON.stringify(['openai', parsed.baseUrl, apiKey, parsed.headers, parsed.timeoutMs]),
      () =>
        createOpenAI({ apiKey, ...(parsed.baseUrl ? { baseURL: parsed.baseUrl } : {}), ...common(parsed) }),
    );
  };
  const compatible = (
    parsed: Hosted & { baseUrl: string; name?: string; supportsStructuredOutputs?: boolean },
  ) =>
    cached(
      wireProviders,
      JSON.stringify([
        'openai-compatible',
        parsed.name,
        parsed.baseUrl,
        parsed.apiKey,
        parsed.headers,
        parsed.timeoutMs,
        parsed.supportsStructuredOutputs,
      ]),
      () =>
        createOpenAICompatible({
          baseURL: parsed.baseUrl,
          ...(parsed.name ? { name: parsed.name } : {}),
          ...(parsed.apiKey ? { apiKey: parsed.apiKey } : {}),
          ...(parsed.supportsStructuredOutputs !== undefined
            ? { supportsStructuredOutputs: parsed.supportsStructuredOutputs }
            : {}),
          ...common(parsed),
        }),
    );

  const languageModel = (input: unknown): LanguageModel => {
    const parsed = parseConfig(modelProviderConfigSchema, input, MODEL_PROVIDERS, 'model');
    switch (parsed.provider) {
      case 'openai':
        return openai(parsed).languageModel(parsed.model);
      case 'anthropic': {
        const apiKey = keyFor('anthropic', parsed.apiKey);
        const provider = cached(
          anthropicProviders,
          JSON.stringify(['anthropic', parsed.baseUrl, apiKey, parsed.headers, parsed.timeoutMs]),
          () =>
            createAnthropic({
              apiKey,
              ...(parsed.baseUrl ? { baseURL: parsed.baseUrl } : {}),
              ...common(parsed),
            }),
        );
        return provider.languageModel(parsed.model);
      }
      case 'openai-compatible':
        return compatible(parsed).languageModel(parsed.model);
      case 'offline':
        return offline.languageModel(parsed.model);
    }
  };

  return {
    languageModel,
    languageModels: (configs) => configs.map(languageModel),
    embeddingModel: (input) => {
      const parsed = parseConfig(
        embeddingProviderConfigSchema,
        input,
        ['openai', 'openai-compatible', 'offline'],
        'embedding model',
      );
      switch (parsed.provider) {
        case 'openai':
          return openai(parsed).embeddingModel(
            parsed.model,
            parsed.dimensions !== undefined ? { dimensions: parsed.dimensions } : {},
          );
        case 'openai-compatible':
          return compatible(parsed).embeddingModel(parsed.model, { dimensions: parsed.dimensions });
        case 'offline':
          return offline.embeddingModel(
            parsed.model,
            parsed.dimensions !== undefined ? { dimensions: parsed.dimensions } : {},
          );
      }
    },
  };
}
