import type { EmbeddingModel, ModelRegistry } from '../llm/index.ts';

/** Embedding providers a knowledge base may name; keys come from the deployment's registry. */
export const KNOWLEDGE_EMBEDDING_PROVIDERS = ['offline', 'openai'] as const;
export type KnowledgeEmbeddingProvider = (typeof KNOWLEDGE_EMBEDDING_PROVIDERS)[number];

/** What a knowledge base stores about its embedding model (`knowledge_bases.embedding`). */
export interface KnowledgeBaseEmbedding {
  readonly provider: string;
  readonly model: string;
  readonly dimensions: number;
}

/** The embedding model requested when a knowledge base is created. */
export interface KnowledgeEmbeddingInput {
  readonly provider: KnowledgeEmbeddingProvider;
  readonly model?: string | undefined;
  readonly dimensions?: number | undefined;
}

/** The embedding of a knowledge base created without one: offline feature hashing, 384 dimensions. */
export const DEFAULT_KNOWLEDGE_EMBEDDING: KnowledgeEmbeddingInput = { provider: 'offline' };

const DEFAULT_OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small';

function registryConfig(input: KnowledgeEmbeddingInput, withDimensions: boolean): Record<string, unknown> {
  const model = input.model ?? (input.provider === 'openai' ? DEFAULT_OPENAI_EMBEDDING_MODEL : undefined);
  return {
    provider: input.provider,
    ...(model !== undefined ? { model } : {}),
    ...(withDimensions && input.dimensions !== undefined ? { dimensions: input.dimensions } : {}),
  };
}

/**
 * Validates a requested embedding model by building it through the registry (an unknown provider,
 * a missing API key or a model without known dimensions throws `ModelConfigError`, a 400) and
 * returns what the knowledge base stores.
 */
export function configureEmbedding(
  registry: ModelRegistry,
  input: KnowledgeEmbeddingInput,
): KnowledgeBaseEmbedding {
  const model = registry.embeddingModel(registryConfig(input, true));
  return { provider: input.provider, model: model.modelId, dimensions: model.dimensions };
}

/**
 * The model of a stored configuration. Dimensions are requested explicitly only when they differ
 * from the model's own (older OpenAI models refuse the `dimensions` parameter).
 */
export function resolveEmbeddingModel(
  registry: ModelRegistry,
  stored: KnowledgeBaseEmbedding,
): EmbeddingModel {
  const input: KnowledgeEmbeddingInput = {
    provider: stored.provider === 'openai' ? 'openai' : 'offline',
    model: stored.model,
    dimensions: stored.dimensions,
  };
  const natural = registry.embeddingModel(registryConfig(input, false));
  return natural.dimensions === stored.dimensions
    ? natural
    : registry.embeddingModel(registryConfig(input, true));
}

/** Unit length (dot product = cosine); null for the zero vector (a text without words). */
export function normalizeVector(vector: readonly number[]): number[] | null {
  let sum = 0;
  for (const value of vector) sum += value * value;
  if (sum === 0 || !Number.isFinite(sum)) return null;
  const norm = Math.sqrt(sum);
  return vector.map((value) => value / norm);
}

/**
 * Embeds texts in batches of the model's `maxBatchSize` (at most `batchSize`), returning unit
 * vectors (null for texts without words).
 */
export async function embedAll(
  model: EmbeddingModel,
  texts: readonly string[],
  batchSize = 256,
): Promise<(number[] | null)[]> {
  const size = Math.max(1, Math.min(batchSize, model.maxBatchSize));
  const out: (number[] | null)[] = [];
  for (let start = 0; start < texts.length; start += size) {
    const { embeddings } = await model.embed(texts.slice(start, start + size));
    for (const vector of embeddings) out.push(normalizeVector(vector));
  }
  return out;
}
