import type { LanguageModelCallOptions } from './language-model.ts';

/** Token usage of one embedding call. */
export interface EmbeddingUsage {
  readonly inputTokens: number;
}

/** The vectors of one call, in the order of the input texts. */
export interface EmbeddingResult {
  readonly embeddings: number[][];
  readonly usage: EmbeddingUsage;
}

/**
 * The embedding-model port (specification v1). Vectors from one model are comparable with each
 * other only; `dimensions` tells an index how wide they are. Implementations throw
 * `ModelCallError` and never retry.
 */
export interface EmbeddingModel {
  readonly specificationVersion: 'v1';
  readonly provider: string;
  readonly modelId: string;
  readonly dimensions: number;
  /** The most texts one `embed` call accepts; callers batch above it. */
  readonly maxBatchSize: number;
  embed(texts: readonly string[], options?: LanguageModelCallOptions): Promise<EmbeddingResult>;
}
