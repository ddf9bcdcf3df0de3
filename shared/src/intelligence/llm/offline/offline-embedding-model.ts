import type { EmbeddingModel, EmbeddingResult } from '../embedding-model.ts';
import { ModelCallError } from '../errors.ts';
import type { LanguageModelCallOptions } from '../language-model.ts';
import { estimateTokens, fnv1a, terms } from './offline-text.ts';

/** The default width of offline vectors. */
export const OFFLINE_EMBEDDING_DIMENSIONS = 384;

const SIGN_SEED = 0x9747b28c;
const BIGRAM_WEIGHT = 0.5;

/**
 * Embeds one text by feature hashing: stemmed word unigrams and bigrams are hashed into
 * `dimensions` buckets with a hashed sign (so collisions cancel rather than pile up), weighted
 * by 1 + ln(count), then L2-normalised. Texts sharing words have a high cosine similarity; word
 * order counts a little through the bigrams. A text without words is the zero vector.
 */
export function hashEmbedding(text: string, dimensions: number = OFFLINE_EMBEDDING_DIMENSIONS): number[] {
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  const sequence = terms(text);
  for (const [index, term] of sequence.entries()) {
    add(`u:${term}`, 1);
    const next = sequence[index + 1];
    if (next !== undefined) add(`b:${term} ${next}`, BIGRAM_WEIGHT);
  }
  const vector: number[] = new Array<number>(dimensions).fill(0);
  for (const [feature, count] of counts) {
    const bucket = fnv1a(feature) % dimensions;
    const sign = (fnv1a(feature, SIGN_SEED) & 1) === 0 ? 1 : -1;
    const weight = count >= 1 ? 1 + Math.log(count) : count;
    vector[bucket] = (vector[bucket] ?? 0) + sign * weight;
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return norm === 0 ? vector : vector.map((value) => value / norm);
}

/** An embedding model that runs anywhere without a network: {@link hashEmbedding}. */
export class OfflineEmbeddingModel implements EmbeddingModel {
  readonly specificationVersion = 'v1' as const;
  readonly provider = 'offline';
  readonly modelId: string;
  readonly dimensions: number;
  readonly maxBatchSize = 10_000;

  constructor(options: { modelId?: string; dimensions?: number } = {}) {
    this.dimensions = options.dimensions ?? OFFLINE_EMBEDDING_DIMENSIONS;
    this.modelId = options.modelId ?? `hashing-${this.dimensions}`;
  }

  async embed(texts: readonly string[], options: LanguageModelCallOptions = {}): Promise<EmbeddingResult> {
    if (options.signal?.aborted) {
      throw new ModelCallError({
        kind: 'aborted',
        message: 'offline: the call was aborted',
        provider: this.provider,
        modelId: this.modelId,
      });
    }
    return {
      embeddings: texts.map((text) => hashEmbedding(text, this.dimensions)),
      usage: { inputTokens: texts.reduce((sum, text) => sum + estimateTokens(text), 0) },
    };
  }
}
