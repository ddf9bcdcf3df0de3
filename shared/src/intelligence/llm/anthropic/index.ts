export type { AnthropicLanguageModelConfig } from './anthropic-language-model.ts';
export { AnthropicLanguageModel } from './anthropic-language-model.ts';
export type { AnthropicProvider, AnthropicProviderSettings } from './anthropic-provider.ts';
export { createAnthropic } from './anthropic-provider.ts';
