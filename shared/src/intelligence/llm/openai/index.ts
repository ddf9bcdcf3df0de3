export type { OpenAIEmbeddingModelConfig } from './openai-embedding-model.ts';
export { OpenAIEmbeddingModel } from './openai-embedding-model.ts';
export type { OpenAILanguageModelConfig, OpenAIModelCapabilities } from './openai-language-model.ts';
export { OpenAILanguageModel } from './openai-language-model.ts';
export type {
  OpenAIEmbeddingOptions,
  OpenAIProvider,
  OpenAIProviderSettings,
  OpenAIWireProviderSettings,
} from './openai-provider.ts';
export { createOpenAI, createOpenAIWireProvider, DEFAULT_MODEL_TIMEOUT_MS } from './openai-provider.ts';
