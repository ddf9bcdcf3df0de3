import { z } from 'zod';
import type { EmbeddingModel, EmbeddingResult } from '../embedding-model.ts';
import { ModelCallError } from '../errors.ts';
import type { LanguageModelCallOptions } from '../language-model.ts';
import { openaiEmbeddingResponseSchema } from './openai-api.ts';
import type { OpenAIClient } from './openai-client.ts';
import { mapOpenAIError } from './openai-error.ts';

/** Construction parameters of an {@link OpenAIEmbeddingModel}. */
export interface OpenAIEmbeddingModelConfig {
  readonly provider: string;
  readonly modelId: string;
  readonly client: OpenAIClient;
  readonly dimensions: number;
  /** Send `dimensions` to shorten the vectors (text-embedding-3 models only). */
  readonly requestDimensions: boolean;
  readonly maxBatchSize?: number;
}

/** An embedding model reached through `POST /embeddings` (OpenAI or any compatible server). */
export class OpenAIEmbeddingModel implements EmbeddingModel {
  readonly specificationVersion = 'v1' as const;
  readonly provider: string;
  readonly modelId: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  readonly #client: OpenAIClient;
  readonly #requestDimensions: boolean;

  constructor(config: OpenAIEmbeddingModelConfig) {
    this.provider = config.provider;
    this.modelId = config.modelId;
    this.dimensions = config.dimensions;
    this.maxBatchSize = config.maxBatchSize ?? 2048;
    this.#client = config.client;
    this.#requestDimensions = config.requestDimensions;
  }

  #invalid(message: string, cause?: unknown): ModelCallError {
    return new ModelCallError({
      kind: 'invalid-response',
      message: `${this.provider}: ${message}`,
      provider: this.provider,
      modelId: this.modelId,
      cause,
    });
  }

  async embed(texts: readonly string[], options: LanguageModelCallOptions = {}): Promise<EmbeddingResult> {
    if (texts.length === 0) return { embeddings: [], usage: { inputTokens: 0 } };
    if (texts.length > this.maxBatchSize) {
      throw new ModelCallError({
        kind: 'invalid-request',
        message: `${this.provider}: at most ${this.maxBatchSize} texts per call (got ${texts.length})`,
        provider: this.provider,
        modelId: this.modelId,
      });
    }
    let raw: unknown;
    try {
      raw = await this.#client.createEmbeddings(
        {
          model: this.modelId,
          input: [...texts],
          encoding_format: 'float',
          ...(this.#requestDimensions ? { dimensions: this.dimensions } : {}),
        },
        options,
      );
    } catch (error) {
      throw mapOpenAIError(error, this);
    }
    const parsed = openaiEmbeddingResponseSchema.safeParse(raw);
    if (!parsed.success) throw this.#invalid(`unexpected response shape: ${z.prettifyError(parsed.error)}`);
    const embeddings: number[][] = new Array(texts.length);
    for (const item of parsed.data.data) {
      if (item.embedding.length !== this.dimensions) {
        throw this.#invalid(`expected ${this.dimensions} dimensions, got ${item.embedding.length}`);
      }
      embeddings[item.index] = item.embedding;
    }
    for (let index = 0; index < texts.length; index += 1) {
      if (embeddings[index] === undefined) throw this.#invalid(`no embedding for input ${index}`);
    }
    return { embeddings, usage: { inputTokens: parsed.data.usage?.prompt_tokens ?? 0 } };
  }
}
