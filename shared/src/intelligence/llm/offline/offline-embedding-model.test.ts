import { describe, expect, it } from 'vitest';
import {
  hashEmbedding,
  OFFLINE_EMBEDDING_DIMENSIONS,
  OfflineEmbeddingModel,
} from './offline-embedding-model.ts';

const cosine = (left: number[], right: number[]) =>
  left.reduce((sum, value, index) => sum + value * (right[index] ?? 0), 0);
const norm = (vector: number[]) => Math.sqrt(cosine(vector, vector));

describe('offline embeddings', () => {
  it('are L2-normalised vectors of the configured width', async () => {
    const model = new OfflineEmbeddingModel();
    const { embeddings, usage } = await model.embed(['Where is my parcel?', 'Refund policy']);
    expect(model.dimensions).toBe(OFFLINE_EMBEDDING_DIMENSIONS);
    expect(embeddings).toHaveLength(2);
    for (const vector of embeddings) {
      expect(vector).toHaveLength(384);
      expect(norm(vector)).toBeCloseTo(1, 10);
    }
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect((await new OfflineEmbeddingModel({ dimensions: 64 }).embed(['x y']))?.embeddings[0]).toHaveLength(
      64,
    );
  });

  it('are deterministic', () => {
    expect(hashEmbedding('Orders ship within two business days')).toEqual(
      hashEmbedding('Orders ship within two business days'),
    );
  });

  it('place texts that share words closer than unrelated texts', () => {
    const query = hashEmbedding('how long does shipping take for my order');
    const shipping = hashEmbedding('Orders ship within two business days; shipping takes longer abroad.');
    const refunds = hashEmbedding('Refunds are issued to the original payment method.');
    expect(cosine(query, shipping)).toBeGreaterThan(cosine(query, refunds));
    expect(cosine(query, shipping)).toBeGreaterThan(0.2);
  });

  it('match inflected forms and notice word order through bigrams', () => {
    expect(cosine(hashEmbedding('orders shipped'), hashEmbedding('order ship'))).toBeCloseTo(1, 10);
    const forward = hashEmbedding('dog bites man');
    expect(cosine(forward, hashEmbedding('man bites dog'))).toBeLessThan(
      cosine(forward, hashEmbedding('dog bites man')),
    );
  });

  it('give the zero vector for a text without words', () => {
    expect(norm(hashEmbedding('  ...  '))).toBe(0);
  });

  it('reject an aborted call', async () => {
    await expect(
      new OfflineEmbeddingModel().embed(['x'], { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      kind: 'aborted',
    });
  });
});
