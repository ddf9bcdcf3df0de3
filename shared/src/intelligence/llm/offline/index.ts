export type { OfflineAnswer, OfflineToolResult } from './offline-answer.ts';
export { answerFromContext, answerFromToolResults, OFFLINE_NO_ANSWER } from './offline-answer.ts';
export {
  hashEmbedding,
  OFFLINE_EMBEDDING_DIMENSIONS,
  OfflineEmbeddingModel,
} from './offline-embedding-model.ts';
export type { OfflineProviderMetadata } from './offline-language-model.ts';
export { OfflineLanguageModel } from './offline-language-model.ts';
export type { OfflineProvider } from './offline-provider.ts';
export { createOffline } from './offline-provider.ts';
export type { FillSource } from './offline-schema-filler.ts';
export { fillJsonSchema } from './offline-schema-filler.ts';
