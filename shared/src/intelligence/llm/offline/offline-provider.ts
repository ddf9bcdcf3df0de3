import { OFFLINE_EMBEDDING_DIMENSIONS, OfflineEmbeddingModel } from './offline-embedding-model.ts';
import { OfflineLanguageModel } from './offline-language-model.ts';

/** Builds the offline models: no network, no keys, deterministic. */
export interface OfflineProvider {
  readonly name: 'offline';
  languageModel(modelId?: string): OfflineLanguageModel;
  embeddingModel(modelId?: string, options?: { readonly dimensions?: number }): OfflineEmbeddingModel;
}

/**
 * The provider of the embedded default and of tests.
 *
 * @example
 * const offline = createOffline();
 * const reply = await generateText({ model: offline.languageModel(), messages, context });
 */
export function createOffline(): OfflineProvider {
  return {
    name: 'offline',
    languageModel: (modelId = 'offline') => new OfflineLanguageModel(modelId),
    embeddingModel: (modelId, options = {}) => {
      const dimensions = options.dimensions ?? OFFLINE_EMBEDDING_DIMENSIONS;
      return new OfflineEmbeddingModel({ dimensions, modelId: modelId ?? `hashing-${dimensions}` });
    },
  };
}
