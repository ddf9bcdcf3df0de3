export type { OpenAICompatibleProviderSettings } from './openai-compatible-provider.ts';
export { createOpenAICompatible } from './openai-compatible-provider.ts';
